public enum RESTGatewayModule {}
