// The files in deploy/ are what operators install, so they are checked as such: the systemd unit
// with `systemd-analyze verify`, the manifests parsed, every agent option they use checked against
// the agent's own --help, and docs/agent.md shows each file verbatim.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, "utf8");

const help = execFileSync(process.execPath, [`${root}bin/peerdir-agent.mjs`, "--help"], { encoding: "utf8" });
const agentFlags = new Set([...help.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]));
const agentEnv = new Set([...help.matchAll(/env (PEERDIR_[A-Z_]+)/g)].map((m) => m[1]));

/** `[Section]` → key → values, in order (a key may repeat). */
function unitFile(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split("\n")) {
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) sections.set(section[1], (current = new Map()));
    const entry = /^(\w+)=(.*)$/.exec(line);
    if (entry && current) current.set(entry[1], [...(current.get(entry[1]) ?? []), entry[2]]);
  }
  return sections;
}

describe("deploy/systemd", () => {
  const unitText = read("deploy/systemd/peerdir-agent.service");
  const unit = unitFile(unitText);
  const service = unit.get("Service")!;

  it("passes systemd-analyze verify", () => {
    const verify = spawnSync("systemd-analyze", ["verify", `${root}deploy/systemd/peerdir-agent.service`], { encoding: "utf8" });
    expect(verify.error, "systemd-analyze is missing: install Debian's systemd package (.ci/run does)").toBeUndefined();
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr.trim()).toBe("");
  });

  it("runs the packaged agent's bin (V8 in lite mode) with its settings from agent.env and stops it with SIGTERM in time", () => {
    expect(service.get("ExecStart")).toEqual(["/usr/bin/node --lite-mode /opt/peerdir-agent/node_modules/peerdir-agent/bin/peerdir-agent.mjs"]);
    expect(service.get("EnvironmentFile")).toEqual(["/etc/peerdir-agent/agent.env"]);
    expect(service.get("StateDirectory")).toEqual(["peerdir-agent"]);
    expect(service.get("StateDirectoryMode")).toEqual(["0700"]);
    expect(service.get("RuntimeDirectory")).toEqual(["peerdir-agent"]);
    expect(service.get("KillSignal")).toEqual(["SIGTERM"]);
    // The agent leaves the directory within 2 s of SIGTERM; systemd must not SIGKILL it sooner.
    expect(Number(service.get("TimeoutStopSec")?.[0])).toBeGreaterThan(2);
    expect(service.get("Restart")).toEqual(["always"]);
    expect(unit.get("Install")?.get("WantedBy")).toEqual(["multi-user.target"]);
  });

  it("agent.env sets only variables the agent reads, all it requires, and the peers file in the runtime directory", () => {
    const env = Object.fromEntries(
      read("deploy/systemd/agent.env")
        .split("\n")
        .filter((line) => line && !line.startsWith("#"))
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    for (const name of Object.keys(env)) expect(agentEnv, name).toContain(name);
    for (const required of ["PEERDIR_DIRECTORY", "PEERDIR_CLUSTER", "PEERDIR_JOIN_TOKEN_FILE", "PEERDIR_ADDR"]) expect(env).toHaveProperty(required);
    expect(env.PEERDIR_PEERS_FILE).toMatch(/^\/run\/peerdir-agent\//);
  });
});

describe("deploy/kubernetes", () => {
  const daemonSet = parse(read("deploy/kubernetes/peerdir-agent.yaml"));
  const pod = daemonSet.spec.template.spec;
  const agent = pod.containers.find((c: { name: string }) => c.name === "agent");
  const args: string[] = agent.args;
  const arg = (flag: string) => args.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);

  it("is one DaemonSet in the peerdir namespace whose selector matches its pods", () => {
    expect(parseAllDocuments(read("deploy/kubernetes/peerdir-agent.yaml"))).toHaveLength(1);
    expect(daemonSet).toMatchObject({ apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "peerdir-agent", namespace: "peerdir" } });
    expect(daemonSet.spec.template.metadata.labels).toMatchObject(daemonSet.spec.selector.matchLabels);
  });

  it("runs the single-file agent from the ConfigMap with options the agent knows", () => {
    expect(args.slice(0, 3)).toEqual(["node", "--lite-mode", "/opt/peerdir-agent/agent.mjs"]);
    for (const a of args.slice(3)) expect(agentFlags, a).toContain(/^--([a-z-]+)=/.exec(a)?.[1]);
    expect(agent.image).toMatch(/^node:(2[0-9])-/);
    const mount = (name: string) => agent.volumeMounts.find((m: { name: string }) => m.name === name);
    const volume = (name: string) => pod.volumes.find((v: { name: string }) => v.name === name);
    expect(mount("agent").mountPath).toBe("/opt/peerdir-agent");
    expect(volume("agent").configMap.name).toBe("peerdir-agent");
    expect(`${mount("join-token").mountPath}/join-token`).toBe(arg("join-token-file"));
    expect(volume("join-token").secret.secretName).toBe("peerdir-join-token");
    // State on the host: the node credential survives pod restarts.
    expect(mount("state").mountPath).toBe(arg("state-dir"));
    expect(volume("state").hostPath.path).toBe("/var/lib/peerdir-agent");
  });

  it("serves on the node's IP with the host network, probes readiness (not liveness) on the listen port", () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe("ClusterFirstWithHostNet");
    const env = Object.fromEntries(agent.env.map((e: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({ NODE_NAME: "spec.nodeName", HOST_IP: "status.hostIP" });
    expect(arg("node")).toBe("$(NODE_NAME)");
    expect(arg("listen")).toBe("$(HOST_IP):7946");
    expect(arg("addr")).toBe("/ip4/$(HOST_IP)/tcp/5001");
    expect(agent.readinessProbe.httpGet).toEqual({ path: "/healthz", port: 7946 });
    expect(agent.livenessProbe).toBeUndefined();
    // The agent leaves the directory within 2 s of SIGTERM.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(2);
  });

  it("points spegel's HTTP bootstrapper at the agent on the same node and port", () => {
    const ops = parse(read("deploy/kubernetes/spegel-http-bootstrap.yaml")) as { op: string; path: string; value: unknown }[];
    expect(ops.every((o) => o.op === "add" && o.path.startsWith("/spec/template/spec/containers/0/"))).toBe(true);
    const added = ops.filter((o) => o.path.endsWith("/args/-")).map((o) => o.value);
    expect(added).toContain("--bootstrap-kind=http");
    const peer = added.find((a): a is string => typeof a === "string" && a.startsWith("--http-bootstrap-peer="));
    const env = ops.find((o) => o.path.endsWith("/env/-"))?.value as { name: string; valueFrom: { fieldRef: { fieldPath: string } } };
    expect(env.valueFrom.fieldRef.fieldPath).toBe("status.hostIP");
    expect(peer).toBe(`--http-bootstrap-peer=http://$(${env.name}):${arg("listen")?.split(":").at(-1)}`);
  });
});

describe("docs/agent.md", () => {
  const docs = read("docs/agent.md");
  for (const file of ["deploy/systemd/peerdir-agent.service", "deploy/systemd/agent.env", "deploy/kubernetes/peerdir-agent.yaml", "deploy/kubernetes/spegel-http-bootstrap.yaml"]) {
    it(`shows ${file} as it is`, () => {
      expect(docs).toContain(`\n${read(file)}\`\`\`\n`);
    });
  }
});

describe("deploy/systemd/peerdir-directory.service", () => {
  const path = `${root}deploy/systemd/peerdir-directory.service`;
  const unit = unitFile(read("deploy/systemd/peerdir-directory.service"));
  const service = unit.get("Service")!;
  const launcherHelp = execFileSync("sh", [`${root}scripts/directory/launcher.sh`, "--help"], { encoding: "utf8" });

  it("passes systemd-analyze verify", () => {
    const verify = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
    expect(verify.error, "systemd-analyze is missing: install Debian's systemd package (.ci/run does)").toBeUndefined();
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr.trim()).toBe("");
  });

  it("runs the tarball's launcher on its state directory, with secrets and TLS key as credentials, as a dynamic user", () => {
    const exec = service.get("ExecStart")?.[0] ?? "";
    expect(exec.startsWith("/bin/sh /opt/peerdir-directory/bin/peerdir-directory ")).toBe(true);
    expect(exec).toContain(["--data", "$" + "{STATE_DIRECTORY}"].join(" "));
    expect(exec).toContain(["--secrets-file", "$" + "{CREDENTIALS_DIRECTORY}/secrets.env"].join(" "));
    for (const [, flag] of exec.matchAll(/ --([a-z-]+)/g)) expect(launcherHelp, `--${flag}`).toContain(`--${flag} `);
    expect(service.get("LoadCredential")).toEqual([
      "secrets.env:/etc/peerdir-directory/secrets.env",
      "tls.crt:/etc/peerdir-directory/tls.crt",
      "tls.key:/etc/peerdir-directory/tls.key",
    ]);
    expect(service.get("DynamicUser")).toEqual(["yes"]);
    expect(service.get("StateDirectory")).toEqual(["peerdir-directory"]);
    expect(service.get("StateDirectoryMode")).toEqual(["0700"]);
    expect(service.get("Restart")).toEqual(["on-failure"]);
    // The launcher closes sockets still open 5 s after SIGTERM; systemd must wait longer.
    expect(Number(service.get("TimeoutStopSec")?.[0])).toBeGreaterThan(5);
  });

  it("is sandboxed", () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      CapabilityBoundingSet: "",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
    })) {
      expect(service.get(key), key).toEqual([value]);
    }
  });
});
