/**
 * The stub of a cluster's Durable Object, by cluster name.
 *
 * Turning a name into an object id hashes it; ids are plain values, not I/O objects, so each
 * isolate remembers the ids of the clusters it serves (a bounded map per namespace) and only
 * the stub, which belongs to its request, is made per request.
 */
import type { ClusterDirectory } from "../directory/cluster-directory.js";

const ID_CACHE_LIMIT = 1024;
const idsByNamespace = new WeakMap<DurableObjectNamespace<ClusterDirectory>, Map<string, DurableObjectId>>();

export function clusterStub(env: Env, name: string): DurableObjectStub<ClusterDirectory> {
  const namespace = env.CLUSTER;
  let ids = idsByNamespace.get(namespace);
  if (!ids) idsByNamespace.set(namespace, (ids = new Map()));
  let id = ids.get(name);
  if (!id) {
    if (ids.size >= ID_CACHE_LIMIT) ids.delete(ids.keys().next().value as string);
    id = namespace.idFromName(name);
    ids.set(name, id);
  }
  return namespace.get(id);
}
