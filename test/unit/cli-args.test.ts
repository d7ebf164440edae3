// The `peerdir` command line: finding the command, strict options, positional checks and value
// conversions, all before any request is made.
import { describe, expect, it } from "vitest";
import { ConfigError, decimalNumber, isoTimeWithZone, labelPairs, limitOrNone, parseCommandLine, UsageError, wholeNumber } from "../../src/cli/args.js";
import { settingsPatch } from "../../src/cli/commands.js";
import { commandHelp, mainHelp } from "../../src/cli/help.js";
import { COMMANDS } from "../../src/cli/spec.js";

function run(argv: string[]) {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== "run") throw new Error(`expected run, got ${parsed.kind}`);
  return parsed;
}

function usage(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
}

describe("finding the command", () => {
  it("takes two words for grouped commands and one for the others", () => {
    expect(run(["cluster", "list"]).command.id).toBe("cluster list");
    expect(run(["pin", "prod", "seed-1", "--addr", "/ip4/10.0.0.1/tcp/1", "--reason", "r"]).command.id).toBe("pin");
    expect(run(["credential", "revoke", "prod", "node-a"]).args).toEqual({ CLUSTER: "prod", NODE: "node-a" });
  });

  it("accepts global options before, between and after the command words", () => {
    const a = run(["--url", "http://d:1", "--json", "cluster", "show", "prod"]);
    expect(a.global).toEqual({ url: "http://d:1", json: true });
    expect(a.args).toEqual({ NAME: "prod" });
    const b = run(["cluster", "--token-file=/t", "show", "prod", "--url=http://d:2"]);
    expect(b.global).toEqual({ url: "http://d:2", tokenFile: "/t", json: false });
    expect(b.command.id).toBe("cluster show");
  });

  it("gives help for the whole CLI, a group and a command, even without the command's arguments", () => {
    expect(parseCommandLine(["--help"])).toEqual({ kind: "help", topic: null });
    expect(parseCommandLine(["-h"])).toEqual({ kind: "help", topic: null });
    expect(parseCommandLine(["token", "--help"])).toEqual({ kind: "help", topic: "token" });
    expect(parseCommandLine(["pin", "--help"])).toEqual({ kind: "help", topic: "pin" });
    expect(parseCommandLine(["cluster", "set", "-h"])).toEqual({ kind: "help", topic: "cluster set" });
    expect(parseCommandLine(["--version"])).toEqual({ kind: "version" });
  });

  it("refuses no command, unknown commands and a group without its subcommand", () => {
    expect(usage([]).message).toBe("no command given");
    expect(usage(["clusters"]).message).toBe('unknown command "clusters"; did you mean "peerdir cluster"?');
    expect(usage(["frobnicate"]).message).toBe('unknown command "frobnicate"');
    expect(usage(["cluster", "lst"]).message).toBe('unknown command "peerdir cluster lst"; did you mean "peerdir cluster list"?');
    expect(usage(["cluster", "zap"]).message).toBe('unknown command "peerdir cluster zap"; cluster has create, list, show, set, delete, expire, export, import');
    expect(usage(["token"]).message).toBe("token needs a subcommand: create, list, revoke");
  });

  it("refuses a command's option before the command, naming it", () => {
    expect(usage(["--reason", "x", "evict", "prod", "a"]).message).toMatch(/--reason is not an option of peerdir itself/);
  });

  it("suggests the command or option a typo was meant to be", () => {
    expect(usage(["tokn", "list", "prod"]).message).toBe('unknown command "tokn"; did you mean "peerdir token"?');
    expect(usage(["evic", "prod", "a"]).message).toBe('unknown command "evic"; did you mean "peerdir evict"?');
    expect(usage(["token", "revok", "prod", "x"]).message).toBe('unknown command "peerdir token revok"; did you mean "peerdir token revoke"?');
    expect(usage(["--jsn", "cluster", "list"]).message).toBe("unknown option --jsn; did you mean --json?");
    expect(usage(["token", "create", "prod", "--expire-at", "2030-01-01T00:00:00Z"]).message).toBe("unknown option --expire-at; did you mean --expires-at?");
    expect(usage(["cluster", "list", "--jsn"]).message).toBe("unknown option --jsn; did you mean --json?");
    expect(usage(["pin", "prod", "a", "--adr", "/ip4/10.0.0.1/tcp/1", "--reason", "r"]).message).toBe("unknown option --adr; did you mean --addr?");
  });
});

describe("arguments and options", () => {
  it("refuses unknown options, missing values and missing or extra arguments", () => {
    expect(usage(["cluster", "list", "--bogus"]).message).toBe("unknown option --bogus");
    expect(usage(["handout", "prod", "a", "--limit"]).message).toBe("option --limit needs a value");
    expect(usage(["evict", "prod", "a", "--reason", "-x"]).message).toBe("option --reason needs a value; for one that starts with '-', write --reason=VALUE");
    expect(run(["evict", "prod", "a", "--reason=-x"]).options.reason).toBe("-x");
    expect(usage(["cluster", "delete", "prod", "--yes=no"]).message).toBe("option --yes takes no value");
    expect(usage(["node", "list"]).message).toBe("peerdir node list takes CLUSTER: missing CLUSTER");
    expect(usage(["cluster", "list", "extra"]).message).toBe('peerdir cluster list takes no arguments: unexpected "extra"');
    expect(usage(["join-token", "revoke", "prod"]).command).toBe("join-token revoke");
    expect(usage(["token", "create", "ci"]).message).toMatch(/--role/);
    expect(usage(["token", "create", "CI", "--role", "read", "--cluster", "*"]).message).toMatch(/^"CI" is not a valid TOKEN_NAME: token names are/);
    expect(run(["token", "create", "ci", "--role", "read", "--cluster", "*", "--cluster", "b"]).options.cluster).toEqual(["*", "b"]);
  });

  it("checks cluster names and node ids locally, so a typo is never sent", () => {
    expect(usage(["cluster", "show", "Prod"]).message).toMatch(/^"Prod" is not a valid NAME: cluster names are 1-63 characters/);
    expect(usage(["handout", "prod", "../x"]).message).toMatch(/^"\.\.\/x" is not a valid NODE/);
    expect(run(["handout", "prod", "Node_1.a"]).args.NODE).toBe("Node_1.a");
  });

  it("requires --reason and --addr where the API does, and collects repeatable options", () => {
    expect(usage(["block", "prod", "a"]).message).toBe("peerdir block needs --reason TEXT");
    expect(usage(["pin", "prod", "a", "--reason", "r"]).message).toBe("peerdir pin needs --addr MULTIADDR");
    const p = run(["pin", "prod", "a", "--addr", "/ip4/1.2.3.4/tcp/1", "--addr", "/dns4/x.example/tcp/2", "--label", "k=v", "--reason", "why"]);
    expect(p.options).toMatchObject({ addr: ["/ip4/1.2.3.4/tcp/1", "/dns4/x.example/tcp/2"], label: ["k=v"], reason: "why" });
  });

  it("treats --yes and --all as flags", () => {
    expect(run(["cluster", "delete", "prod", "--yes"]).options.yes).toBe(true);
    expect(run(["cluster", "delete", "prod"]).options.yes).toBeUndefined();
    expect(run(["audit", "prod", "--all"]).options.all).toBe(true);
  });
});

describe("option values", () => {
  it("takes a time only with a zone, and says how to add one", () => {
    expect(isoTimeWithZone("2030-01-01T00:00:00Z", "expires-at")).toBe("2030-01-01T00:00:00Z");
    expect(isoTimeWithZone("2030-01-01T00:00:00.5+02:00", "expires-at")).toBe("2030-01-01T00:00:00.5+02:00");
    expect(() => isoTimeWithZone("2030-01-01T00:00:00", "expires-at")).toThrow(
      "--expires-at 2030-01-01T00:00:00 has no time zone; add Z for UTC or an offset, e.g. 2030-01-01T00:00:00Z or 2030-01-01T00:00:00+02:00",
    );
    expect(() => isoTimeWithZone("2030-01-01T00:00", "expires-at")).toThrow(/has no time zone; add Z/);
    expect(() => isoTimeWithZone("tomorrow", "expires-at")).toThrow('--expires-at must be an ISO 8601 time with a zone, e.g. 2030-01-01T00:00:00Z; got "tomorrow"');
    expect(() => isoTimeWithZone("2030-01-01T00:00:00 UTC", "expires-at")).toThrow(UsageError);
    expect(() => isoTimeWithZone("2030-13-45T00:00:00Z", "expires-at")).toThrow(UsageError);
  });

  it("converts numbers and refuses what is not one", () => {
    expect(wholeNumber("120", "max-ttl")).toBe(120);
    expect(() => wholeNumber("1.5", "max-ttl")).toThrow('--max-ttl must be a whole number, got "1.5"');
    expect(() => wholeNumber("-3", "limit")).toThrow(UsageError);
    expect(decimalNumber("0.5", "min-interval")).toBe(0.5);
    expect(decimalNumber("0", "min-interval")).toBe(0);
    expect(() => decimalNumber("1e3", "min-interval")).toThrow(UsageError);
    expect(limitOrNone("none", "default-limit")).toBeNull();
    expect(limitOrNone("8", "default-limit")).toBe(8);
  });

  it("turns --label pairs into labels, splitting at the first '='", () => {
    expect(labelPairs(undefined)).toBeUndefined();
    expect(labelPairs(["zone=eu-west-1a", "expr=a=b", "empty="])).toEqual({ zone: "eu-west-1a", expr: "a=b", empty: "" });
    expect(() => labelPairs(["novalue"])).toThrow('--label takes KEY=VALUE, got "novalue"');
    expect(() => labelPairs(["=v"])).toThrow(UsageError);
    expect(() => labelPairs(["k=1", "k=2"])).toThrow("--label k is given twice");
  });

  it("builds the settings patch from cluster set's flags, and refuses an empty one", () => {
    const { options } = run([
      "cluster",
      "set",
      "prod",
      "--min-ttl",
      "5",
      "--default-ttl",
      "30",
      "--max-ttl",
      "600",
      "--max-nodes",
      "50",
      "--min-interval",
      "0.25",
      "--default-limit",
      "none",
    ]);
    expect(settingsPatch(options)).toEqual({ minTtlSeconds: 5, defaultTtlSeconds: 30, maxTtlSeconds: 600, maxNodes: 50, minIntervalSeconds: 0.25, defaultLimit: null });
    expect(settingsPatch(run(["cluster", "set", "prod", "--default-limit", "3"]).options)).toEqual({ defaultLimit: 3 });
    expect(settingsPatch(run(["cluster", "set", "prod", "--address-policy", "observed-ip"]).options)).toEqual({ addressPolicy: "observed-ip" });
    expect(() => settingsPatch(run(["cluster", "set", "prod", "--address-policy", "strict"]).options)).toThrow('--address-policy is any or observed-ip, got "strict"');
    expect(() => settingsPatch(run(["cluster", "set", "prod"]).options)).toThrow(/^name at least one setting to change: --min-ttl/);
  });

  it("keeps configuration errors distinguishable from usage errors", () => {
    expect(new ConfigError("x")).toBeInstanceOf(UsageError);
  });
});

describe("help", () => {
  it("lists every command in the main help", () => {
    const text = mainHelp();
    for (const c of COMMANDS) expect(text).toContain(`  ${c.id}`);
    expect(text).toContain("PEERDIR_URL");
    expect(text).toContain("PEERDIR_ADMIN_TOKEN");
    expect(text).toMatch(/Exit codes:[\s\S]*2 {2}usage/);
  });

  it("documents every option and an example of each command", () => {
    for (const c of COMMANDS) {
      const text = commandHelp(c.id);
      expect(text.startsWith(`Usage: peerdir ${c.id}`)).toBe(true);
      for (const o of c.options) expect(text).toContain(`--${o.flag}`);
      expect(c.examples.length).toBeGreaterThan(0);
      for (const e of c.examples) expect(text).toContain(e);
    }
  });

  it("shows a group's commands", () => {
    expect(commandHelp("cluster")).toContain("cluster delete NAME");
    expect(commandHelp("cluster")).not.toContain("token create");
  });
});
