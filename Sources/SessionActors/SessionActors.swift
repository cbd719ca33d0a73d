public enum SessionActorsModule {}
