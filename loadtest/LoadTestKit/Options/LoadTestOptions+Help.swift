extension LoadTestOptions {
    /// The text `--help` prints: every flag, its default, and what it is for.
    public static let helpText = """
        tmi-loadtest: simulated concurrent diagram editors against a TMI server

        usage: tmi-loadtest [options]

          --url URL                 server base URL, http:// or https:// (default http://127.0.0.1:8080);
                                    repeat it for several nodes: editors are spread over them, the
                                    report adds delivery latency per node (docs/cluster.md)
          --diagrams N              diagrams edited at once, one session each (default 1)
          --editors N               editors per diagram (default 4)
          --rate R                  operations per second per editor (default 2); the mix is
                                    mostly cell edits, plus undo and the presenter's cursor
          --duration S              measured seconds, after the warmup (default 10)
          --warmup S                seconds run before measuring; not counted (default 2)
          --seed N                  seed of the operation generator (default 1)
          --json FILE               write the report as JSON
          --svg FILE                write a chart: latency percentiles over time and a histogram
          --step-until-p99-ms N     step mode: add editors each step until delivery p99 > N ms,
                                    then report the largest load held
          --max-steps N             step mode: stop after N steps (default 10)
          --threat-model UUID       use this threat model instead of creating one per diagram
                                    (editors PREFIX-N@test.tmi must be able to write to it)
          --diagram UUID            use this diagram (needs --threat-model; implies --diagrams 1)
          --max-error-rate F        exit 1 when errors / operations sent exceeds F (default 0.01)
          --server-pid PID          sample this process for CPU and RSS (default: the local
                                    process listening on the URL's port, if any)
          --user-prefix P           test-provider login hint prefix (default loadtest)
          --idle N                  idle mode: open N authenticated WebSockets joined to sessions,
                                    keep them quiet, and report the server's RSS per connection
          --idle-per-diagram K      idle mode: connections per diagram/session (default 100)
          --idle-hold S             idle mode: seconds held before sampling memory (default 3)
          --deflate on|off          offer permessage-deflate on WebSockets (default on)
          --ca-file FILE            PEM CAs that verify https:// URLs (default: the system store)
          --quiet                   no live progress line
          --help                    this text

        exit status: 0 converged within thresholds; 1 divergence or too many errors;
        2 bad options, unreachable server or failed login.
        """
}
