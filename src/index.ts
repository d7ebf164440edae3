/**
 * peerdir Worker entry: the HTTP app, and the Durable Object class it fronts.
 * Neither makes an outbound request; every answer comes from the cluster's own state.
 */
import { createApp } from "./http/app.js";

export { ClusterDirectory } from "./directory/cluster-directory.js";

export default createApp() satisfies ExportedHandler<Env>;
