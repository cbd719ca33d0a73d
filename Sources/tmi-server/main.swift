import RESTGateway

print("tmi-server: not yet wired")
