// The observed-ip address policy: a node may only advertise the IP its requests come from.
import { describe, expect, it } from "vitest";
import type { ClusterDetail } from "../../src/contract/admin.js";
import { addr, admin, call, createCluster, expectProblem } from "./helpers.js";

describe("address policy", () => {
  it("accepts any address by default, and only the observed IP under observed-ip", async () => {
    const joinToken = await createCluster("ipol");
    const from = (ip: string) => ({ "CF-Connecting-IP": ip });
    expect((await call("PUT", "/v1/clusters/ipol/nodes/free", { token: joinToken, body: { addrs: [addr(1)] }, headers: from("198.51.100.9") })).status).toBe(201);

    const detail = await admin<ClusterDetail>("PATCH", "/v1/admin/clusters/ipol", { addressPolicy: "observed-ip" });
    expect(detail.settings.addressPolicy).toBe("observed-ip");
    const spoof = await expectProblem(
      await call("PUT", "/v1/clusters/ipol/nodes/a", { token: joinToken, body: { addrs: ["/ip4/10.9.9.9/tcp/5001"] }, headers: from("198.51.100.7") }),
      403,
    );
    expect(spoof.detail).toMatch(/not an address of 198\.51\.100\.7/);
    await expectProblem(await call("PUT", "/v1/clusters/ipol/nodes/a", { token: joinToken, body: { addrs: ["/dns4/example.org/tcp/5001"] }, headers: from("198.51.100.7") }), 403);
    await expectProblem(await call("PUT", "/v1/clusters/ipol/nodes/a", { token: joinToken, body: { addrs: ["/ip4/198.51.100.7/tcp/5001"] } }), 403);
    expect(
      (
        await call("PUT", "/v1/clusters/ipol/nodes/a", {
          token: joinToken,
          body: { addrs: ["/ip4/198.51.100.7/tcp/5001", "/ip4/198.51.100.7/udp/5001/quic-v1"] },
          headers: from("198.51.100.7"),
        })
      ).status,
    ).toBe(201);
    expect((await call("PUT", "/v1/clusters/ipol/nodes/b", { token: joinToken, body: { addrs: ["/ip6/2001:db8::7/tcp/5001"] }, headers: from("2001:0db8:0:0::7") })).status).toBe(
      201,
    );
  });
});
