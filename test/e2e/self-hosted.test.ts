// The self-hosted directory end to end, as an operator runs it: the release tarball unpacked on a
// PATH without node, serving HTTPS and WSS with a certificate from a private CA; real agents
// (--ca-file) register and watch over TLS; a SIGKILL during a burst of writes loses none that
// were acknowledged, and the agents re-attach; then the cluster moves to a second instance by
// export and import, and the agents carry on there with their credentials, registering no more.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from "../support/constants.js";
import { releaseTarball } from "../support/release.js";
import { httpsJson, makeCertificates, minimalPath, type RunningLauncher, startLauncher } from "../support/self-hosted.js";
import { type AgentProcess, freePort, getJson, killAll, peerId, running, spawnAgent, waitFor } from "./agent-harness.js";

const CLUSTER = "onprem";
const NODES = ["n0", "n1", "n2"];
const WRITES = 300;

interface PeersView {
  peers: { id: string }[];
  stale: boolean;
  transport?: string;
}

const work = mkdtempSync(join(tmpdir(), "peerdir-self-hosted-"));
const secrets = { TOKEN_KEY: TEST_TOKEN_KEY, ADMIN_TOKEN: TEST_ADMIN_TOKEN };
const launchers: RunningLauncher[] = [];
const agents = new Map<string, AgentProcess>();
const ports = new Map<string, number>();
const ids = new Map<string, string>();
let home: string;
let pathDir: string;
let tls: { ca: string; cert: string; key: string };
let caPem: string;
let listen: string;

async function launch(data: string, at = listen): Promise<RunningLauncher> {
  const launcher = await startLauncher({ home, listen: at, data: join(work, data), pathDir, tmp: join(work, "tmp"), tls, secrets });
  launchers.push(launcher);
  return launcher;
}

const admin = (directory: RunningLauncher, method: string, path: string, body?: unknown) => httpsJson(caPem, `${directory.url}/v1/admin${path}`, method, TEST_ADMIN_TOKEN, body);

function startAgent(node: string, directory: string, withJoinToken: boolean): AgentProcess {
  const args = ["--directory", directory, "--cluster", CLUSTER, "--ca-file", tls.ca, "--state-dir", join(work, "state"), "--log-format", "json"];
  args.push("--addr", `/ip4/127.0.0.1/tcp/7000/p2p/${ids.get(node)}`, ...(withJoinToken ? ["--join-token-file", join(work, "join-token")] : []));
  const agent = spawnAgent(node, ports.get(node)!, args);
  agents.set(node, agent);
  return agent;
}

/** Every agent sees every other node, fresh, over the watch socket. */
const allWatching = () =>
  waitFor(
    "every agent to see the others over the watch socket",
    async () => {
      for (const agent of agents.values()) {
        const view = await getJson<PeersView>(agent, "/peers");
        if (view.stale || view.transport !== "watch" || view.peers.length !== NODES.length - 1) return undefined;
      }
      return true;
    },
    30_000,
    [...agents.values()],
  );

beforeAll(async () => {
  const tarball = releaseTarball();
  execFileSync("tar", ["-xzf", tarball, "-C", work]);
  home = join(
    work,
    tarball
      .split("/")
      .pop()!
      .replace(/\.tar\.gz$/, ""),
  );
  pathDir = minimalPath(join(work, "path"));
  mkdirSync(join(work, "tmp"));
  tls = makeCertificates(join(work, "tls"));
  caPem = readFileSync(tls.ca, "utf8");
  listen = `127.0.0.1:${await freePort()}`;
  for (const node of NODES) {
    ports.set(node, await freePort());
    ids.set(node, await peerId());
  }
}, 120_000);

afterAll(async () => {
  await killAll([...agents.values()]);
  await Promise.all(launchers.map((l) => l.kill()));
  rmSync(work, { recursive: true, force: true });
});

describe("the self-hosted directory (release tarball)", () => {
  let first: RunningLauncher;

  it("runs with no node on PATH and serves HTTPS; agents register and watch over TLS with --ca-file", async () => {
    expect(spawnSync("sh", ["-c", "command -v node || command -v npm"], { env: { PATH: pathDir } }).status).not.toBe(0);
    first = await launch("data-a");
    expect(first.url).toBe(`https://${listen}`);
    const created = await admin(first, "POST", "/clusters", { name: CLUSTER });
    expect(created.status).toBe(201);
    writeFileSync(join(work, "join-token"), (created.body as { joinToken: string }).joinToken, { mode: 0o600 });
    for (const node of NODES) startAgent(node, first.url, true);
    await allWatching();
  }, 90_000);

  it("loses no acknowledged write to a SIGKILL mid-burst, and the agents re-attach after the restart", async () => {
    const acknowledged: string[] = [];
    let next = 0;
    const writer = async () => {
      while (next < WRITES) {
        const node = `w-${next++}`;
        const res = await admin(first, "PUT", `/clusters/${CLUSTER}/overrides/${node}`, { action: "block", reason: "burst" }).catch(() => null);
        if (res?.status === 200 || res?.status === 201) acknowledged.push(node);
      }
    };
    const burst = Promise.all(Array.from({ length: 8 }, writer));
    await waitFor("a third of the burst acknowledged", async () => (acknowledged.length >= WRITES / 3 ? true : undefined), 30_000);
    await first.kill();
    await burst;
    expect(acknowledged.length).toBeLessThan(WRITES);

    first = await launch("data-a");
    const listed = await admin(first, "GET", `/clusters/${CLUSTER}/overrides`);
    const kept = new Set((listed.body as { overrides: { node: string }[] }).overrides.map((o) => o.node));
    expect(acknowledged.filter((node) => !kept.has(node))).toEqual([]);
    const { ms } = await allWatching();
    expect(ms).toBeLessThan(30_000);
  }, 90_000);

  it("moves the cluster to a second instance by export and import; the agents carry on without registering again", async () => {
    const second = await launch("data-b", "127.0.0.1:0");
    const exported = await admin(first, "GET", `/clusters/${CLUSTER}/export`);
    expect(exported.status).toBe(200);
    const imported = await admin(second, "POST", `/clusters/${CLUSTER}/import`, exported.body);
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ cluster: CLUSTER, nodes: NODES.length });
    expect((await admin(second, "POST", `/clusters/${CLUSTER}/import`, exported.body)).status).toBe(409);
    expect(await first.stop()).toBe(0);

    const credentials = new Map(NODES.map((node) => [node, readFileSync(join(work, "state", CLUSTER, node, "credential.json"), "utf8")]));
    await killAll([...agents.values()]);
    // No join token this time: only the credentials the first instance issued can get them in.
    for (const node of NODES) startAgent(node, second.url, false);
    await allWatching();
    for (const node of NODES) {
      expect(readFileSync(join(work, "state", CLUSTER, node, "credential.json"), "utf8")).toBe(credentials.get(node));
      expect(running(agents.get(node)!)).toBe(true);
    }
    const nodes = await admin(second, "GET", `/clusters/${CLUSTER}/nodes`);
    expect(
      (nodes.body as { nodes: { id: string; transport: string | null }[] }).nodes
        .filter((n) => n.transport === "watch")
        .map((n) => n.id)
        .sort(),
    ).toEqual(NODES);
  }, 90_000);
});
