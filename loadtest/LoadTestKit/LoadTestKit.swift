public enum LoadTestKitModule {}
