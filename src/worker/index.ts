/**
 * peerdir Worker entry: the HTTP app, and the Durable Object classes it fronts (one
 * ClusterDirectory per cluster, one ClusterCatalog). None of them makes an outbound request;
 * every answer comes from the directory's own state.
 */
import { createApp } from "./http/app.js";

export { ClusterCatalog } from "./objects/cluster-catalog.js";
export { ClusterDirectory } from "./objects/cluster-directory.js";

export default createApp() satisfies ExportedHandler<Env>;
