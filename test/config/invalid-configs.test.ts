/**
 * Invalid configs, one problem each: the exact path users see and a message that says what was
 * expected or how to fix it. Each case mutates a fresh copy of one valid base config.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { parseConfigText, readConfigFile, validateConfig } from "../../src/config/load.js";
import { issuesOf, validBase } from "./fixtures.js";

type Config = ReturnType<typeof validBase>;

interface Case {
  name: string;
  mutate: (c: Config) => void;
  /** Every issue path, in order: one problem gives exactly one issue. */
  paths: string[];
  /** Substrings of the (first) message. */
  says: string[];
}

/**
 * The fixture's `batch` service as a process service on group `vms` (command and vfox set), with
 * `source` as given: only the source's own problem remains.
 */
function asProcess(c: Config, source?: Record<string, unknown>): void {
  c.services.batch.runner = "process";
  delete c.services.batch.image;
  if (!source) return;
  c.services.batch.source = { runtime: "nodejs@20.11.1", ...source };
  c.services.batch.command = ["node", "server.js"];
  c.machines.vms.vfox = { version: "0.6.0", url: "https://example.com/vfox_{version}_linux_x86_64.tar.gz", sha256: "b".repeat(64) };
}

const cases: Case[] = [
  {
    name: "unknown key with did-you-mean",
    mutate: (c) => (c.services.api.scalng = { max: 5 }),
    paths: ["services.api.scalng"],
    says: ['unknown key "scalng" (did you mean "scaling"?)'],
  },
  {
    name: "unknown top-level key with did-you-mean",
    mutate: (c) => (c.servics = {}),
    paths: ["servics"],
    says: ['unknown key "servics" (did you mean "services"?)'],
  },
  {
    name: "unknown top-level key far from any known key lists the allowed keys",
    mutate: (c) => (c.frobnicate = true),
    paths: ["frobnicate"],
    says: ['unknown key "frobnicate"; allowed keys: $schema, project, environments, services, machines, databases, caches, topics, buckets, secrets'],
  },
  {
    name: "wrong type",
    mutate: (c) => (c.services.api.scaling.max = "ten"),
    paths: ["services.api.scaling.max"],
    says: ['expected number, got string "ten"'],
  },
  {
    name: "integer expected",
    mutate: (c) => (c.services.api.ports[0].port = 80.5),
    paths: ["services.api.ports[0].port"],
    says: ["expected integer, got number 80.5"],
  },
  {
    name: "missing required key",
    mutate: (c) => delete c.project.region,
    paths: ["project.region"],
    says: ['missing required key "region": expected string'],
  },
  {
    name: "bad enum with suggestion",
    mutate: (c) => (c.services.worker.runner = "kubernets"),
    paths: ["services.worker.runner"],
    says: ['expected one of "kubernetes", "container", "process", got "kubernets"', '(did you mean "kubernetes"?)'],
  },
  {
    name: "bad strategy type",
    mutate: (c) => (c.services.api.strategy = { type: "blue-green", active: "blue" }),
    paths: ["services.api.strategy.type"],
    says: ['expected one of "rolling", "blueGreen", "canary", got "blue-green"', '(did you mean "blueGreen"?)'],
  },
  {
    name: "canary weight 150",
    mutate: (c) => (c.services.api.strategy.weight = 150),
    paths: ["services.api.strategy.weight"],
    says: ["expected at most 100, got 150"],
  },
  {
    name: "scaling min > max",
    mutate: (c) => (c.services.api.scaling = { min: 5, max: 3 }),
    paths: ["services.api.scaling.min"],
    says: ["min (5) is greater than max (3); lower min or raise max"],
  },
  {
    name: "machine autoscaling min > max",
    mutate: (c) => (c.machines.vms.autoscaling = { min: 4, max: 2 }),
    paths: ["machines.vms.autoscaling.min"],
    says: ["min (4) is greater than max (2)"],
  },
  {
    name: "dependsOn an unknown service",
    mutate: (c) => (c.services.api.dependsOn = ["workr"]),
    paths: ["services.api.dependsOn[0]"],
    says: ['unknown service "workr" (did you mean "worker"?); declared services: api, worker, batch'],
  },
  {
    name: "dependsOn a name inherited from Object.prototype",
    mutate: (c) => (c.services.api.dependsOn = ["constructor"]),
    paths: ["services.api.dependsOn[0]"],
    says: ['unknown service "constructor"'],
  },
  {
    name: "self dependency",
    mutate: (c) => (c.services.worker.dependsOn = ["worker"]),
    paths: ["services.worker.dependsOn[0]"],
    says: ["a service cannot depend on itself"],
  },
  {
    name: "dependency cycle",
    mutate: (c) => {
      c.services.worker.dependsOn = ["batch"];
      c.services.batch.dependsOn = ["api"];
    },
    paths: ["services.api.dependsOn"],
    says: ["dependency cycle: api → worker → batch → api"],
  },
  {
    name: "container runner without machines",
    mutate: (c) => delete c.services.batch.machines,
    paths: ["services.batch.machines"],
    says: ['runner "container" needs a machine group; set machines to one of: vms'],
  },
  {
    name: "machines naming an undeclared group",
    mutate: (c) => (c.services.batch.machines = "vm"),
    paths: ["services.batch.machines"],
    says: ['unknown machine group "vm" (did you mean "vms"?); declared machine groups: vms'],
  },
  {
    name: "kubernetes runner with machines",
    mutate: (c) => (c.services.worker.machines = "vms"),
    paths: ["services.worker.machines"],
    says: ['runner "kubernetes" runs on the cluster; remove "machines"'],
  },
  {
    name: "runner not enabled on the machine group",
    mutate: (c) => (c.machines.vms.runners = ["process"]),
    paths: ["services.batch.runner"],
    says: ['machine group "vms" does not enable the "container" runner; add it to machines.vms.runners'],
  },
  {
    name: "secret env referencing an undeclared secret",
    mutate: (c) => (c.services.api.secrets = { STRIPE_KEY: "strip-key" }),
    paths: ["services.api.secrets.STRIPE_KEY"],
    says: ['unknown secret "strip-key" (did you mean "stripe-key"?); declared secrets: stripe-key'],
  },
  {
    name: "uses.subscriptions naming a missing topic",
    mutate: (c) => (c.services.worker.uses.subscriptions = ["order/fulfil"]),
    paths: ["services.worker.uses.subscriptions[0]"],
    says: ['unknown topic "order" (did you mean "orders"?); declared topics: orders'],
  },
  {
    name: "uses.subscriptions naming a missing subscription",
    mutate: (c) => (c.services.worker.uses.subscriptions = ["orders/fulfill"]),
    paths: ["services.worker.uses.subscriptions[0]"],
    says: ['unknown subscription "fulfill" (did you mean "fulfil"?); declared subscriptions of topic "orders": fulfil'],
  },
  {
    name: "uses.subscriptions without a topic",
    mutate: (c) => (c.services.worker.uses.subscriptions = ["fulfil"]),
    paths: ["services.worker.uses.subscriptions[0]"],
    says: ['expected "<topic>/<subscription>", got "fulfil"'],
  },
  {
    name: "uses.database naming an undeclared database",
    mutate: (c) => (c.services.api.uses.database = "mian"),
    paths: ["services.api.uses.database"],
    says: ['unknown database "mian" (did you mean "main"?); declared databases: main'],
  },
  {
    name: "bad CIDR string",
    mutate: (c) => (c.environments.dev.network.nodesCidr = "10.48.0.0/33"),
    paths: ["environments.dev.network.nodesCidr"],
    says: ['expected an IPv4 CIDR block such as "10.20.0.0/20", got "10.48.0.0/33"'],
  },
  {
    name: "CIDR that is not a network address",
    mutate: (c) => (c.environments.dev.network.nodesCidr = "10.48.0.1/20"),
    paths: ["environments.dev.network.nodesCidr"],
    says: ['"10.48.0.1/20" is not a network address; use "10.48.0.0/20"'],
  },
  {
    name: "CIDR override overlapping another environment",
    mutate: (c) => (c.environments.dev.network.nodesCidr = "10.0.0.0/20"),
    paths: ["environments.dev.network.nodesCidr"],
    says: ['nodesCidr "10.0.0.0/20" lies inside environment "prod" nodesCidr "10.0.0.0/20"; choose a disjoint range'],
  },
  {
    name: "invalid service name key (uppercase)",
    mutate: (c) => {
      c.services.Api = c.services.api;
      delete c.services.api;
      c.services.worker.dependsOn = [];
    },
    paths: ["services.Api"],
    says: ['invalid name "Api": expected a lowercase name', '(did you mean "api"?)'],
  },
  {
    name: "blueGreen active slot without version",
    mutate: (c) => (c.services.api.strategy = { type: "blueGreen", active: "green", blue: { version: "v1", image: "api:1" } }),
    paths: ["services.api.strategy.green"],
    says: ['the active slot "green" has no version; set strategy.green: { version, image }'],
  },
  {
    name: "canary weight without a canary",
    mutate: (c) => delete c.services.api.strategy.canary,
    paths: ["services.api.strategy.weight"],
    says: ["weight 10 routes traffic to a canary that is not defined; set strategy.canary or weight: 0"],
  },
  {
    name: "process runner without source",
    mutate: (c) => asProcess(c),
    paths: ["services.batch.source"],
    says: ['runner "process" needs source (git + ref, or artifact; and runtime)'],
  },
  {
    name: "process source with both git and an archive",
    mutate: (c) => asProcess(c, { git: "https://example.com/a.git", ref: "v1", artifact: { url: "https://example.com/a.tar.gz", sha256: "a".repeat(64) } }),
    paths: ["services.batch.source.artifact"],
    says: ["set either artifact (url + sha256) or git + ref, not both"],
  },
  {
    name: "process source with git but no ref",
    mutate: (c) => asProcess(c, { git: "https://example.com/a.git" }),
    paths: ["services.batch.source.ref"],
    says: ["git needs ref: a pinned commit or tag"],
  },
  {
    name: "process archive that is not a .tar.gz",
    mutate: (c) => asProcess(c, { artifact: { url: "https://example.com/a.zip", sha256: "a".repeat(64) } }),
    paths: ["services.batch.source.artifact.url"],
    says: ["expected the URL of a .tar.gz / .tgz archive"],
  },
  {
    name: "bad label value",
    mutate: (c) => (c.project.labels.team = "Platform"),
    paths: ["project.labels.team"],
    says: ['label values are lowercase letters, digits, \'-\' or \'_\', at most 63 characters, got "Platform"'],
  },
  {
    name: "drReplica (production preset) without drRegion",
    mutate: (c) => delete c.project.drRegion,
    paths: ["environments.prod.settings.drReplica"],
    says: ["a DR replica needs project.drRegion (e.g. europe-west4), or set drReplica: false"],
  },
  {
    name: "duplicate port names",
    mutate: (c) => (c.services.api.ports = [{ name: "http", port: 8080 }, { name: "http", port: 8081 }]),
    paths: ["services.api.ports[1].name"],
    says: ['duplicate port name "http"; port names are unique within a service'],
  },
  {
    name: "probe on an undeclared port name",
    mutate: (c) => (c.services.api.health.readiness.port = "htp"),
    paths: ["services.api.health.readiness.port"],
    says: ['unknown port "htp" (did you mean "http"?); declared ports: http'],
  },
  {
    name: "probe port neither a number nor a name",
    mutate: (c) => (c.services.api.health.readiness.port = true),
    paths: ["services.api.health.readiness.port"],
    says: ["expected number or string, got boolean true"],
  },
  {
    name: "empty domain list",
    mutate: (c) => (c.services.api.expose.domains = []),
    paths: ["services.api.expose.domains"],
    says: ["expected at least 1 item, got 0 items"],
  },
  {
    name: "null where an object belongs",
    mutate: (c) => (c.services = null),
    paths: ["services"],
    says: ["expected object, got null"],
  },
  {
    name: "no environments",
    mutate: (c) => (c.environments = {}),
    paths: ["environments"],
    says: ["declare at least one environment (e.g. prod)"],
  },
  {
    name: "environment variable name starting with a digit",
    mutate: (c) => (c.services.api.env = { "1LOG": "x" }),
    paths: ['services.api.env["1LOG"]'],
    says: ['invalid name "1LOG": expected an environment variable name'],
  },
  {
    name: "duplicate CIDR plan index",
    mutate: (c) => (c.environments.prod.index = 3),
    paths: ["environments.dev.index"],
    says: ['index 3 is already used by environment "prod"; each environment needs its own CIDR block'],
  },
  {
    name: "DR region equal to the primary region",
    mutate: (c) => (c.project.drRegion = "europe-west1"),
    // Once, although both environments run in that region.
    paths: ["project.drRegion"],
    says: ['the DR region must differ from the primary region "europe-west1"'],
  },
  {
    name: "environment region equal to the DR region",
    mutate: (c) => (c.environments.dev.region = "europe-west4"),
    paths: ["environments.dev.region"],
    says: ['the region of environment "dev" is project.drRegion "europe-west4"; the DR region must differ from the primary region'],
  },
  {
    name: "explicit index taking prod's default CIDR block",
    mutate: (c) => {
      c.environments.dev.index = 0;
      delete c.environments.dev.network;
    },
    paths: ["environments.dev.index"],
    says: ['index 0 is the default CIDR block of environment "prod", which would move to another block; choose another index, or set environments.prod.index too'],
  },
  {
    name: "environment without a default CIDR slot and no index",
    mutate: (c) => {
      delete c.environments.dev.index;
    },
    paths: ["environments.dev.index"],
    says: ['environment "dev" has no default CIDR slot (only prod and stage do); set index to a free slot 2-15 so its ranges never move'],
  },
  {
    name: "cache read replicas where the preset has no HA (dev: BASIC tier)",
    mutate: (c) => (c.caches.sessions = { memoryGb: 5, readReplicas: 2 }),
    paths: ["caches.sessions.readReplicas"],
    says: ['in environment "dev" (highAvailability false): read replicas need the STANDARD_HA tier'],
  },
  {
    name: "HA database on a shared-core tier",
    mutate: (c) => (c.databases.main.tier = "db-g1-small"),
    paths: ["databases.main.tier"],
    says: ['in environment "prod" (highAvailability true): shared-core tier "db-g1-small" has no SLA even when regional'],
  },
  {
    name: "cache larger than Memorystore allows through a preset override",
    mutate: (c) => {
      c.caches.sessions = {};
      c.environments.prod.settings = { cacheMemoryGb: 301 };
    },
    paths: ["environments.prod.settings.cacheMemoryGb"],
    says: ["expected at most 300, got 301"],
  },
  {
    name: "image and build together",
    mutate: (c) => (c.services.worker.build = { context: "./worker" }),
    paths: ["services.worker.build"],
    says: ["set either image or build, not both"],
  },
  {
    name: "infinite number (YAML .inf)",
    mutate: (c) => (c.caches.sessions.memoryGb = Number.POSITIVE_INFINITY),
    paths: ["caches.sessions.memoryGb"],
    says: ["expected a finite number, got Infinity"],
  },
  {
    // gcp-review 38: a service account id is 6-30 characters; "s-d-w" cannot be made valid.
    name: "service account id too short",
    mutate: (c) => {
      c.project.name = "s";
      c.environments.d = { gcpProject: "shop-d-1234", index: 4 };
      c.services.w = { image: "europe-docker.pkg.dev/shop/apps/w:1.0.0" };
    },
    paths: ["services.w"],
    says: ['service account id in environment "d": "s-d-w" has 5 characters; a serviceAccountId needs 6 to 30', "use a service name of at least 2 characters"],
  },
];

describe("invalid configs: exact path and a helpful message", () => {
  it("the base config is valid", () => {
    expect(() => validateConfig(validBase())).not.toThrow();
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)("$name → $paths.0", ({ mutate, paths, says }) => {
    const config = validBase();
    mutate(config);
    const issues = issuesOf(config);
    expect(issues.map((i) => i.path)).toEqual(paths);
    for (const text of says) expect(issues[0]!.message).toContain(text);
  });

  it("ConfigError.message lists every problem with its path, and the source", () => {
    const config = validBase();
    config.services.api.scaling.max = "ten";
    delete config.project.region;
    config.services.worker.runner = "kubernets";
    let error: unknown;
    try {
      validateConfig(config, "brume.yaml");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.source).toBe("brume.yaml");
    expect(e.issues.map((i) => i.path).sort()).toEqual(["project.region", "services.api.scaling.max", "services.worker.runner"]);
    const lines = e.message.split("\n");
    expect(lines[0]).toBe("brume.yaml: invalid brume config (3 problems):");
    expect(lines.slice(1).sort()).toEqual(
      [
        '  - project.region: missing required key "region": expected string',
        '  - services.api.scaling.max: expected number, got string "ten"',
        '  - services.worker.runner: expected one of "kubernetes", "container", "process", got "kubernets" (did you mean "kubernetes"?)',
      ].sort(),
    );
  });

  it("cross-field problems are all reported together", () => {
    const config = validBase();
    config.services.api.dependsOn = ["workr"];
    config.services.api.scaling = { min: 9, max: 2 };
    config.services.worker.uses.subscriptions = ["orders/nope"];
    let error: ConfigError | undefined;
    try {
      validateConfig(config);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.message.split("\n")).toEqual([
      "invalid brume config (3 problems):",
      '  - services.api.dependsOn[0]: unknown service "workr" (did you mean "worker"?); declared services: api, worker, batch',
      "  - services.api.scaling.min: min (9) is greater than max (2); lower min or raise max",
      '  - services.worker.uses.subscriptions[0]: unknown subscription "nope"; declared subscriptions of topic "orders": fulfil',
    ]);
  });

  it("a document that is not a mapping is reported at the root", () => {
    expect(issuesOf(["project"])).toEqual([{ path: "(root)", message: 'expected object, got array ["project"]', value: ["project"] }]);
    expect(issuesOf(null)).toEqual([{ path: "(root)", message: "expected object, got null", value: null }]);
  });
});

describe("syntax errors are located by line and column", () => {
  const dir = mkdtempSync(join(tmpdir(), "brume-invalid-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const errorOf = (f: () => unknown): ConfigError => {
    try {
      f();
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error("expected a ConfigError");
  };

  it("YAML: bad indentation", () => {
    const e = errorOf(() => parseConfigText("project:\n  name: shop\n region: europe-west1\n", "yaml", "brume.yaml"));
    expect(e.issues).toEqual([{ path: "(line 3, column 1)", message: "YAML syntax error: All mapping items must start at the same column" }]);
    expect(e.message).toBe("brume.yaml: invalid brume config (1 problem):\n  - (line 3, column 1): YAML syntax error: All mapping items must start at the same column");
  });

  it("YAML: duplicate key", () => {
    const e = errorOf(() => parseConfigText("project:\n  name: shop\n  name: cafe\n", "yaml"));
    expect(e.issues).toEqual([{ path: "(line 3, column 3)", message: "YAML syntax error: Map keys must be unique" }]);
  });

  it("YAML: unclosed flow sequence, read from a file", () => {
    const file = join(dir, "brume.yaml");
    writeFileSync(file, "project:\n  name: shop\n  labels: { team: [platform }\n");
    const e = errorOf(() => readConfigFile(file));
    expect(e.source).toBe(file);
    expect(e.issues).toEqual([
      { path: "(line 3, column 29)", message: "YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]" },
      { path: "(line 3, column 30)", message: "YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }" },
    ]);
  });

  it("YAML: an alias to an undefined anchor is a ConfigError, not a ReferenceError", () => {
    const e = errorOf(() => parseConfigText("project: *base\n", "yaml"));
    expect(e.issues).toEqual([{ path: "(file)", message: "YAML error: Unresolved alias (the anchor must be set before the alias): base" }]);
  });

  it("TOML: missing value", () => {
    const e = errorOf(() => parseConfigText('[project]\nname = "shop"\nregion =\n', "toml", "brume.toml"));
    expect(e.issues).toEqual([{ path: "(line 3, column 9)", message: "TOML syntax error: Invalid TOML document: invalid value" }]);
    expect(e.message).toContain("brume.toml: invalid brume config (1 problem):\n  - (line 3, column 9): TOML syntax error:");
  });

  it("TOML: redefined key, read from a file", () => {
    const file = join(dir, "brume.toml");
    writeFileSync(file, '[project]\nname = "shop"\nname = "cafe"\n');
    const e = errorOf(() => readConfigFile(file));
    expect(e.issues).toEqual([
      { path: "(line 3, column 1)", message: "TOML syntax error: Invalid TOML document: trying to redefine an already defined table or value" },
    ]);
  });

  it("a directory or an unknown extension is a ConfigError", () => {
    const sub = join(dir, "conf.yaml");
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(sub, { recursive: true });
    expect(errorOf(() => readConfigFile(sub)).issues).toEqual([{ path: "(file)", message: `config file is a directory: ${sub}` }]);
    const json = join(dir, "brume.json");
    writeFileSync(json, "{}");
    expect(errorOf(() => readConfigFile(json)).issues).toEqual([
      { path: "(file)", message: `unsupported config file "${json}": use .yaml, .yml or .toml` },
    ]);
  });
});
