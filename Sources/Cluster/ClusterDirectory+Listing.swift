import WireProtocol

/// One live session anywhere in the cluster.
public struct ClusterSessionEntry: Sendable, Equatable {
    public var diagramID: String
    public var nodeID: String
    public var advertiseURL: String?
    public var fencingToken: Int64
    /// What the owner published with `publish(info:for:)` ("" when nothing yet).
    public var info: String
}

extension ClusterDirectory {
    /// Every live session of every node (for `GET /collaboration/sessions`). Entries whose lease
    /// is gone (a crashed owner's) are dropped from the listing as they are found.
    public func sessions() async throws(ClusterDirectoryError) -> [ClusterSessionEntry] {
        let reply: RedisValue
        do {
            reply = try await redis.eval(
                ClusterScripts.sessions, keys: [sessionsKey, infoKey], arguments: [key("owner", "")])
        } catch {
            throw ClusterDirectoryError(error)
        }
        guard let flat = reply.array, flat.count % 3 == 0 else {
            throw .unexpectedReply("sessions answered \(reply)")
        }
        var entries: [ClusterSessionEntry] = []
        var i = 0
        while i < flat.count {
            if let diagram = flat[i].string, let owner = flat[i + 1].string.flatMap(Self.parseOwner) {
                entries.append(
                    ClusterSessionEntry(
                        diagramID: diagram, nodeID: owner.node, advertiseURL: nil, fencingToken: owner.token,
                        info: flat[i + 2].string ?? ""))
            }
            i += 3
        }
        let urls = try await advertiseURLs(Set(entries.map(\.nodeID)))
        for j in entries.indices { entries[j].advertiseURL = urls[entries[j].nodeID] }
        return entries.sorted { $0.diagramID < $1.diagramID }
    }

    /// Every registered (live) node, this one included.
    public func liveNodes() async throws(ClusterDirectoryError) -> [ClusterNode] {
        var nodes: [ClusterNode] = []
        var cursor = "0"
        var rounds = 0
        repeat {
            let reply: RedisValue
            do {
                reply = try await redis.send(
                    RedisCommand("SCAN", cursor, "MATCH", key("node", "*"), "COUNT", "1000"))
            } catch {
                throw ClusterDirectoryError(error)
            }
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string,
                let keys = parts[1].array
            else { throw .unexpectedReply("SCAN answered \(reply)") }
            cursor = next
            let ids = keys.compactMap { $0.string?.dropFirst(key("node", "").count) }.map(String.init)
            let urls = try await advertiseURLs(Set(ids))
            for (id, url) in urls {
                if let n = try? ClusterNode(id: id, advertiseURL: url) { nodes.append(n) }
            }
            rounds += 1
        } while cursor != "0" && rounds < 10_000
        return nodes.sorted { $0.id < $1.id }
    }

    /// Advertise URLs of several nodes in one round trip.
    func advertiseURLs(_ ids: Set<String>) async throws(ClusterDirectoryError) -> [String: String] {
        let list = ids.filter(ClusterNode.isValidID).sorted()
        guard !list.isEmpty else { return [:] }
        do {
            let reply = try await redis.send(RedisCommand("MGET", arguments: list.map { key("node", $0) }))
            guard let values = reply.array, values.count == list.count else {
                throw ClusterDirectoryError.unexpectedReply("MGET answered \(reply)")
            }
            var urls: [String: String] = [:]
            for (id, value) in zip(list, values) {
                if let url = value.string.flatMap(Self.urlOfNodeValue) { urls[id] = url }
            }
            if ids.contains(node.id) { urls[node.id] = node.advertiseURL }
            return urls
        } catch let error as RedisError {
            throw ClusterDirectoryError(error)
        } catch let error as ClusterDirectoryError {
            throw error
        } catch {
            throw .unexpectedReply("\(error)")
        }
    }
}
