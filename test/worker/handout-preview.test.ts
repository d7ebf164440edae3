// The admin handout preview is exactly what each node receives from its own peers route.
import { describe, expect, it } from "vitest";
import { addr, ADMIN, admin, call, createCluster, join, type Registered } from "./helpers.js";

describe("handout preview", () => {
  it("agrees with the node route for every node, with and without limits and overrides", async () => {
    const joinToken = await createCluster("preview");
    const nodes: Registered[] = [];
    for (let i = 0; i < 12; i++) nodes.push(await join("preview", joinToken, `n${i}`, { addrs: [addr(i)], labels: { zone: `z${i % 3}` } }));
    await admin("PUT", "/v1/admin/clusters/preview/overrides/seed", { action: "pin", addrs: [addr(100)], reason: "seed" });
    await admin("PUT", "/v1/admin/clusters/preview/overrides/n3", { action: "drain", reason: "maintenance" });
    for (const n of nodes) {
      for (const query of ["", "?limit=1", "?limit=4"]) {
        const own = await call("GET", `/v1/clusters/preview/nodes/${n.node}/peers${query}`, { token: n.credential });
        const preview = await call("GET", `/v1/admin/clusters/preview/nodes/${n.node}/handout${query}`, { token: ADMIN });
        expect(own.status).toBe(200);
        expect(preview.status).toBe(200);
        expect(await preview.text()).toBe(await own.text());
      }
    }
  });
});
