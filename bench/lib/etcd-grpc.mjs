/**
 * etcd's native gRPC API for the benchmarks: the protos the `etcd3` npm package ships, loaded
 * with @grpc/proto-loader and called with @grpc/grpc-js, as an etcd client in Node does. Each
 * `connection(i)` is its own HTTP/2 connection (a private subchannel pool), so "20 connections"
 * means 20 TCP connections on this side as on peerdir's.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { root } from "./directory.mjs";

const require = createRequire(join(root, "package.json"));
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

let services = null;
function etcdServices() {
  if (services) return services;
  const protoDir = join(dirname(require.resolve("etcd3/package.json")), "proto");
  const def = protoLoader.loadSync(join(protoDir, "rpc.proto"), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir] });
  services = grpc.loadPackageDefinition(def).etcdserverpb;
  return services;
}

/** One HTTP/2 connection to etcd with the KV, Lease and Watch clients on it. */
export function etcdConnection(url) {
  const target = new URL(url).host;
  const s = etcdServices();
  // A private subchannel pool: grpc-js would otherwise share one connection among clients.
  const options = { "grpc.use_local_subchannel_pool": 1 };
  const channel = new grpc.Channel(target, grpc.credentials.createInsecure(), options);
  const opts = { channelOverride: channel };
  const unary = (client, method) => (req) => new Promise((resolve, reject) => client[method](req, (err, res) => (err ? reject(err) : resolve(res))));
  const kv = new s.KV(target, grpc.credentials.createInsecure(), opts);
  const lease = new s.Lease(target, grpc.credentials.createInsecure(), opts);
  const watch = new s.Watch(target, grpc.credentials.createInsecure(), opts);
  return {
    put: unary(kv, "Put"),
    leaseGrant: unary(lease, "LeaseGrant"),
    /** A LeaseKeepAlive stream: `keepAlive(id)` resolves with the answer to that request. */
    keepAliveStream() {
      const call = lease.LeaseKeepAlive();
      let waiting = null;
      call.on("data", (res) => {
        const w = waiting;
        waiting = null;
        w?.resolve(res);
      });
      call.on("error", (err) => {
        const w = waiting;
        waiting = null;
        w?.reject(err);
      });
      return {
        keepAlive(id) {
          return new Promise((resolve, reject) => {
            waiting = { resolve, reject };
            call.write({ ID: id });
          });
        },
        end: () => call.end(),
      };
    },
    /** A Watch stream on a prefix; `onEvents(events)` for every response that carries events. */
    async watchPrefix(prefix, onEvents) {
      const call = watch.Watch();
      const created = new Promise((resolve, reject) => {
        call.on("data", (res) => {
          if (res.created) resolve();
          if (res.events?.length) onEvents(res.events);
        });
        call.on("error", (err) => {
          if (err.code !== grpc.status.CANCELLED) reject(err);
        });
      });
      call.write({ create_request: { key: Buffer.from(prefix), range_end: prefixEndBytes(prefix) } });
      await created;
      return { cancel: () => call.cancel() };
    },
    close() {
      kv.close();
      lease.close();
      watch.close();
      channel.close();
    },
  };
}

function prefixEndBytes(prefix) {
  const buf = Buffer.from(prefix);
  buf[buf.length - 1]++;
  return buf;
}
