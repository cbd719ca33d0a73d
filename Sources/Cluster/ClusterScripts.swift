/// The Lua scripts the directory runs with EVAL. Each runs atomically in Redis, which is what
/// makes "check, then change" safe against a racing node.
enum ClusterScripts {
    /// KEYS: owner, fence, sessions, info. ARGV: node id, ttl ms, token floor, diagram id.
    /// Takes the lease only if no one holds it (`SET … NX PX` semantics) and increments the
    /// fencing token with it. A fresh counter (a new diagram, or a Redis that lost its data) starts
    /// at the server's clock in microseconds and never at or below the caller's floor, so tokens
    /// keep rising across a Redis restart without persistence. Numbers cross to Redis as %d text:
    /// Lua would print a large number in exponent form. Returns {1, token} or {0, owner value}.
    static let acquire = """
        local current = redis.call('GET', KEYS[1])
        if current then return {0, current} end
        local t = redis.call('INCR', KEYS[2])
        if t == 1 then
          local now = redis.call('TIME')
          t = tonumber(now[1]) * 1000000 + tonumber(now[2])
        end
        local floor = tonumber(ARGV[3])
        if t <= floor then t = floor + 1 end
        local token = string.format('%d', t)
        redis.call('SET', KEYS[2], token)
        local value = ARGV[1] .. ' ' .. token
        redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
        redis.call('HSET', KEYS[3], ARGV[4], value)
        redis.call('HDEL', KEYS[4], ARGV[4])
        return {1, token}
        """

    /// KEYS: key. ARGV: expected value, ttl ms. Compare-and-renew: extends the key only while it
    /// still holds our value, so a node never extends a lease (or registration) it lost.
    static let renew = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """

    /// KEYS: owner, sessions, info. ARGV: our owner value, diagram id. Deletes only our own lease
    /// and listing.
    static let release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then
          redis.call('HDEL', KEYS[2], ARGV[2])
          redis.call('HDEL', KEYS[3], ARGV[2])
        end
        return 1
        """

    /// KEYS: owner, info. ARGV: our owner value, diagram id, info. Publishes the session's info
    /// while we own it.
    static let setInfo = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
          return 1
        end
        return 0
        """

    /// KEYS: sessions, info. ARGV: owner key prefix. Lists {diagram, owner value, info} triples
    /// of live sessions and drops entries whose lease is gone (a crashed owner's).
    static let sessions = """
        local out = {}
        local all = redis.call('HGETALL', KEYS[1])
        for i = 1, #all, 2 do
          local d = all[i]
          local owner = redis.call('GET', ARGV[1] .. d)
          if owner then
            table.insert(out, d)
            table.insert(out, owner)
            table.insert(out, redis.call('HGET', KEYS[2], d) or '')
          else
            redis.call('HDEL', KEYS[1], d)
            redis.call('HDEL', KEYS[2], d)
          end
        end
        return out
        """

    /// KEYS: node key. ARGV: our value. Deletes the registration if it is still ours.
    static let deregister = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
        return 0
        """
}
