import LoadTestKit

print("tmi-loadtest: not yet wired")
