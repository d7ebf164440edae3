import { describe, expect, it } from "vitest";
import { type AgentConfig, helpText, OPTIONS, flagUsage, parseCommand } from "../../src/agent/config.js";
import { ConfigError, envName } from "../../src/agent/config-sources.js";

const ADDR = "/ip4/10.0.0.1/tcp/5001";
const base = ["--directory", "http://127.0.0.1:8787", "--cluster", "prod", "--addr", ADDR, "--join-token-file", "/tmp/token"];

function run(argv: string[], env: Record<string, string> = {}, file?: Record<string, unknown>): AgentConfig {
  const parsed = parseCommand(argv, env, () => JSON.stringify(file ?? {}));
  if (parsed.kind !== "run") throw new Error(`expected run, got ${parsed.kind}`);
  return parsed.config;
}

describe("config precedence: flags > env > config file > defaults", () => {
  const file = { directory: "http://file:1", cluster: "from-file", node: "file-node", addrs: ["/ip4/10.0.0.3/tcp/1"], ttl: 30, pollInterval: 7, labels: { zone: "file" } };
  const env = {
    PEERDIR_CONFIG: "/etc/peerdir/agent.json",
    PEERDIR_CLUSTER: "from-env",
    PEERDIR_TTL: "40",
    PEERDIR_ADDR: "/ip4/10.0.0.2/tcp/1,/ip4/10.0.0.2/udp/1/quic-v1",
    PEERDIR_LABEL: "zone=env,rack=r1",
  };

  it("takes the file when nothing else sets an option", () => {
    const c = run(["--config", "/etc/peerdir/agent.json"], {}, file);
    expect(c).toMatchObject({
      directory: "http://file:1",
      cluster: "from-file",
      node: "file-node",
      ttl: 30,
      pollInterval: 7,
      addrs: ["/ip4/10.0.0.3/tcp/1"],
      labels: { zone: "file" },
    });
  });

  it("lets the environment override the file", () => {
    const c = run([], env, file);
    expect(c.cluster).toBe("from-env");
    expect(c.ttl).toBe(40);
    expect(c.addrs).toEqual(["/ip4/10.0.0.2/tcp/1", "/ip4/10.0.0.2/udp/1/quic-v1"]);
    expect(c.labels).toEqual({ zone: "env", rack: "r1" });
    expect(c.directory).toBe("http://file:1");
    expect(c.configFile).toBe("/etc/peerdir/agent.json");
  });

  it("lets flags override both; repeatable flags replace the list whole", () => {
    const c = run(["--cluster", "from-flag", "--ttl", "50", "--addr", ADDR, "--addr", "/dns4/a.example/tcp/2", "--label", "zone=flag"], env, file);
    expect(c.cluster).toBe("from-flag");
    expect(c.ttl).toBe(50);
    expect(c.addrs).toEqual([ADDR, "/dns4/a.example/tcp/2"]);
    expect(c.labels).toEqual({ zone: "flag" });
  });

  it("resolves relative paths in the config file against the file's directory", () => {
    const c = run(["--config", "/etc/peerdir/agent.json"], {}, { ...file, joinTokenFile: "token", stateDir: "state" });
    expect(c.joinTokenFile).toBe("/etc/peerdir/token");
    expect(c.stateDir).toBe("/etc/peerdir/state");
  });
});

describe("defaults", () => {
  it("listens on 127.0.0.1:7946, polls every 5 s, logs text at info, leaves the TTL to the cluster", () => {
    const c = run([...base, "--node", "n1"]);
    expect(c.listen).toEqual({ host: "127.0.0.1", port: 7946 });
    expect(c.pollInterval).toBe(5);
    expect(c.logFormat).toBe("text");
    expect(c.logLevel).toBe("info");
    expect(c.ttl).toBeNull();
    expect(c.peersFile).toBeNull();
    expect(c.onChange).toBeNull();
    expect(c.transport).toBe("auto");
  });

  it("takes --transport from a flag, PEERDIR_TRANSPORT or the config key, flag first", () => {
    expect(run([...base, "--transport", "long-poll"]).transport).toBe("long-poll");
    expect(run(base, { PEERDIR_TRANSPORT: "poll" }).transport).toBe("poll");
    expect(run([...base, "--transport", "watch"], { PEERDIR_TRANSPORT: "poll" }).transport).toBe("watch");
    expect(run(["--config", "/x.json"], {}, { directory: "http://f:1", cluster: "f", addrs: [ADDR], transport: "long-poll" }).transport).toBe("long-poll");
  });

  it("uses systemd's STATE_DIRECTORY for the state dir when set", () => {
    expect(run(base, { STATE_DIRECTORY: "/var/lib/peerdir-agent" }).stateDir).toBe("/var/lib/peerdir-agent");
  });

  it("parses IPv6 listen addresses", () => {
    expect(run([...base, "--listen", "[::1]:9000"]).listen).toEqual({ host: "::1", port: 9000 });
  });
});

describe("validation", () => {
  it.each([
    [["--cluster", "prod", "--addr", ADDR], "--directory is required"],
    [["--directory", "ftp://x", "--cluster", "prod", "--addr", ADDR], "http or https"],
    [["--directory", "http://x", "--cluster", "Prod", "--addr", ADDR], "cluster names"],
    [["--directory", "http://x", "--cluster", "prod"], "--addr is required"],
    [[...base, "--addr", "10.0.0.1:5001"], "starts with '/'"],
    [[...base, "--ttl", "1.5"], "positive whole number"],
    [[...base, "--poll-interval", "0.5"], "between 1 and 3600"],
    [[...base, "--listen", "7946"], "HOST:PORT"],
    [[...base, "--log-format", "xml"], "text, json"],
    [[...base, "--transport", "websocket"], "auto, watch, long-poll, poll"],
    [[...base, "--label", "novalue"], "KEY=VALUE"],
    [[...base, "--node", "bad node"], "node id"],
    [[...base, "--bogus"], "Unknown option"],
  ])("rejects %j", (argv, message) => {
    expect(() => parseCommand(argv as string[], {}, () => "{}")).toThrow(ConfigError);
    expect(() => parseCommand(argv as string[], {}, () => "{}")).toThrow(message as string);
  });

  it("rejects unknown config file keys, naming the known ones", () => {
    expect(() => parseCommand(["--config", "/x.json"], {}, () => '{"directroy":"http://x"}')).toThrow(/unknown key "directroy"/);
  });
});

describe("--help", () => {
  it("documents every option with its flag, env variable and config key", () => {
    const parsed = parseCommand(["--help"], {});
    expect(parsed.kind).toBe("help");
    const text = helpText();
    for (const o of OPTIONS) {
      expect(text).toContain(flagUsage(o));
      expect(text).toContain(envName(o.flag));
      expect(text).toContain(`"${o.key}"`);
    }
    expect(text).toContain("--config FILE");
  });
});

describe("docs/agent.md", () => {
  it("documents every option with its flag and environment variable, as --help does", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync(new URL("../../docs/agent.md", import.meta.url), "utf8");
    for (const o of OPTIONS) {
      expect(doc).toContain(`| \`${flagUsage(o).replaceAll("|", "\\|")}\` | \`${envName(o.flag)}\` |`);
    }
  });
});

describe("--ca-file", () => {
  const base = ["--directory", "https://peerdir.internal:8443", "--cluster", "c", "--node", "n", "--addr", "/ip4/10.0.0.1/tcp/5001"];
  it("is off by default, and resolves the path from the flag or PEERDIR_CA_FILE", () => {
    const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const parsed = parseCommand(argv, env);
      if (parsed.kind !== "run") throw new Error("not a run");
      return parsed.config.caFile;
    };
    expect(run(base)).toBeNull();
    expect(run([...base, "--ca-file", "/etc/peerdir/ca.pem"])).toBe("/etc/peerdir/ca.pem");
    expect(run(base, { PEERDIR_CA_FILE: "ca.pem" })).toBe(`${process.cwd()}/ca.pem`);
  });
});

describe("reachability options", () => {
  const base = ["--directory", "http://127.0.0.1:8787", "--cluster", "c", "--node", "n", "--addr", "/ip4/10.0.0.1/tcp/5001"];
  const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const parsed = parseCommand(argv, env);
    if (parsed.kind !== "run") throw new Error("not a run");
    return parsed.config;
  };

  it("checks itself and probes once a minute by default", () => {
    expect(run(base)).toMatchObject({ noSelfCheck: false, probeInterval: 60 });
  });

  it("takes --no-self-check as a switch, PEERDIR_NO_SELF_CHECK as 1/true/yes or 0/false/no, and --probe-interval", () => {
    expect(run([...base, "--no-self-check", "--probe-interval", "1.5"])).toMatchObject({ noSelfCheck: true, probeInterval: 1.5 });
    expect(run(base, { PEERDIR_NO_SELF_CHECK: "yes" }).noSelfCheck).toBe(true);
    expect(run(base, { PEERDIR_NO_SELF_CHECK: "0" }).noSelfCheck).toBe(false);
    expect(() => run(base, { PEERDIR_NO_SELF_CHECK: "maybe" })).toThrow(ConfigError);
    expect(() => run([...base, "--probe-interval", "0.5"])).toThrow(/between 1 and 3600/);
  });

  it("leaves the handout size to the cluster unless --max-peers or PEERDIR_MAX_PEERS names one", () => {
    expect(run(base).maxPeers).toBeNull();
    expect(run([...base, "--max-peers", "8"]).maxPeers).toBe(8);
    expect(run(base, { PEERDIR_MAX_PEERS: "3" }).maxPeers).toBe(3);
    for (const bad of ["0", "2.5", "100000", "-1"]) expect(() => run([...base, `--max-peers=${bad}`])).toThrow(/from 1 to 99999/);
  });

  it("flags consumer loops above 60 requests a minute by default; 0 turns it off; anything but a whole number is refused", () => {
    expect(run(base).consumerLoopThreshold).toBe(60);
    expect(run([...base, "--consumer-loop-threshold", "0"]).consumerLoopThreshold).toBe(0);
    expect(run(base, { PEERDIR_CONSUMER_LOOP_THRESHOLD: "120" }).consumerLoopThreshold).toBe(120);
    expect(() => run([...base, "--consumer-loop-threshold=-5"])).toThrow(/whole number of requests a minute/);
    expect(() => run([...base, "--consumer-loop-threshold", "1.5"])).toThrow(/whole number of requests a minute/);
    expect(() => run([...base, "--consumer-loop-threshold", "lots"])).toThrow(ConfigError);
  });
});
