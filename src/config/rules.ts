/**
 * Cross-field rules: what one field says about another. Pure and synchronous; run after the
 * schema accepted the document, so every value here has its validated type.
 */
import { restoreTestIssues } from "./rules-restore.js";
import { checkReleaseState } from "./rules-release.js";
import { checkInputGaps } from "./rules-input-gaps.js";
import { cacheTierProblems } from "./cache-tiers.js";
import { checkCi } from "./rules-ci.js";
import { checkEdge } from "./rules-edge.js";
import { checkBucketCdn } from "./rules-storage.js";
import { maxCertificateDomains, normalizedDomains, servedPort } from "./machine-frontend.js";
import { maxBudgetChannels } from "./cloud-limits.js";
import { cidrProblems, defaultIndexes } from "./cidr-plan.js";
import { checkGitops } from "./rules-gitops.js";
import type { ConfigIssue } from "./errors.js";
import { checkConnectionRules } from "./rules-connections.js";
import { checkDatabaseOwners } from "./database-owners.js";
import { defaultPresetFor, presets } from "./presets.js";
import { joinedName, nameProblem } from "./naming.js";
import { suggestKey } from "./primitives.js";
import type { BrumeConfig, ServiceConfig } from "./schema.js";

function unknownName(kind: string, name: string, declared: readonly string[], where: string): string {
  const hint = suggestKey(name, declared);
  const list = declared.length ? `declared ${where}: ${declared.join(", ")}` : `no ${where} are declared`;
  return `unknown ${kind} "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}; ${list}`;
}

/**
 * A declared name: own keys only, so a reference to "constructor" (a valid name) never resolves
 * to Object.prototype.constructor.
 */
function has(map: object, name: string): boolean {
  return Object.hasOwn(map, name);
}

/**
 * Kubernetes RBAC `Group` subjects only match with Google Groups for RBAC configured on the
 * cluster ("Configure Google Groups for RBAC",
 * https://cloud.google.com/kubernetes-engine/docs/how-to/google-groups-rbac): without it the
 * groups' RoleBindings apply silently to nobody. A `group:` principal therefore needs
 * `access.rbacSecurityGroup`.
 */
function checkRbacGroups(config: BrumeConfig, add: (path: string, message: string, value?: unknown) => void): void {
  const a = config.access;
  if (!a || a.rbacSecurityGroup !== undefined) return;
  for (const [role, principals] of Object.entries(a.groups)) {
    const i = principals.findIndex((p) => p.startsWith("group:"));
    if (i >= 0) {
      add(
        `access.groups.${role}[${i}]`,
        `Kubernetes RBAC matches group principals only with Google Groups for RBAC; set access.rbacSecurityGroup to "gke-security-groups@<your domain>" (a Google group whose members are the groups listed here)`,
        principals[i],
      );
      return;
    }
  }
}

/**
 * Artifact Registry Docker images are `<location>-docker.pkg.dev/<project>/<repository>/<image>`
 * (https://cloud.google.com/artifact-registry/docs/docker/names): one segment less names no
 * repository, so neither an admission pattern nor a reader grant can cover it.
 */
function checkArtifactRegistryImages(config: BrumeConfig, add: (path: string, message: string, value?: unknown) => void): void {
  const check = (path: string, image: string | undefined) => {
    if (!image) return;
    const [host, ...rest] = image.split("@")[0]!.split("/");
    if (/-docker\.pkg\.dev$/.test(host ?? "") && rest.length < 3) {
      add(path, `an Artifact Registry image is "<location>-docker.pkg.dev/<project>/<repository>/<image>"; this one names no repository`, image);
    }
  };
  for (const [name, svc] of Object.entries(config.services)) {
    check(`services.${name}.image`, svc.image);
    const s = svc.strategy;
    if (s.type === "blueGreen") for (const slot of ["blue", "green"] as const) check(`services.${name}.strategy.${slot}.image`, s[slot]?.image);
    if (s.type === "canary") for (const slot of ["stable", "canary"] as const) check(`services.${name}.strategy.${slot}.image`, s[slot]?.image);
  }
}

/** Returns every cross-field problem of a schema-valid config; an empty list means valid. */
export function checkRules(config: BrumeConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string, value?: unknown) => issues.push({ path, message, value });
  checkServiceAccountIds(config, add);
  issues.push(...checkInputGaps(config));
  issues.push(...restoreTestIssues(config));

  const serviceNames = Object.keys(config.services);
  const machineNames = Object.keys(config.machines);
  const secretNames = Object.keys(config.secrets);

  for (const [name, svc] of Object.entries(config.services)) {
    const at = `services.${name}`;
    checkServiceSource(svc, at, add);

    svc.dependsOn.forEach((dep, i) => {
      if (dep === name) add(`${at}.dependsOn[${i}]`, `a service cannot depend on itself`, dep);
      else if (!has(config.services, dep)) add(`${at}.dependsOn[${i}]`, unknownName("service", dep, serviceNames, "services"), dep);
    });

    if (svc.scaling.min > svc.scaling.max) {
      add(`${at}.scaling.min`, `min (${svc.scaling.min}) is greater than max (${svc.scaling.max}); lower min or raise max`, svc.scaling.min);
    }

    if (svc.runner === "kubernetes") {
      if (svc.machines !== undefined) {
        add(`${at}.machines`, `runner "kubernetes" runs on the cluster; remove "machines" or set runner to "container" or "process"`, svc.machines);
      }
    } else if (svc.machines === undefined) {
      add(`${at}.machines`, `runner "${svc.runner}" needs a machine group; set machines to one of: ${machineNames.join(", ") || "(declare one under machines)"}`);
    } else if (!has(config.machines, svc.machines)) {
      add(`${at}.machines`, unknownName("machine group", svc.machines, machineNames, "machine groups"), svc.machines);
    } else if (!config.machines[svc.machines]!.runners.includes(svc.runner)) {
      add(
        `${at}.runner`,
        `machine group "${svc.machines}" does not enable the "${svc.runner}" runner; add it to machines.${svc.machines}.runners`,
        svc.runner,
      );
    }

    const portNames = new Set<string>();
    svc.ports.forEach((p, i) => {
      if (portNames.has(p.name)) add(`${at}.ports[${i}].name`, `duplicate port name "${p.name}"; port names are unique within a service`, p.name);
      portNames.add(p.name);
    });
    for (const kind of ["liveness", "readiness", "startup"] as const) {
      const probe = svc.health[kind];
      if (probe && typeof probe.port === "string" && !portNames.has(probe.port)) {
        add(`${at}.health.${kind}.port`, unknownName("port", probe.port, [...portNames], "ports"), probe.port);
      }
    }

    for (const [envVar, secret] of Object.entries(svc.secrets)) {
      if (!has(config.secrets, secret)) add(`${at}.secrets.${envVar}`, unknownName("secret", secret, secretNames, "secrets"), secret);
    }
    checkUses(config, svc, at, add);
    checkStrategy(svc, at, add);
    checkRetention(svc, at, add);
  }

  for (const cycle of dependencyCycles(config)) {
    add(`services.${cycle[0]}.dependsOn`, `dependency cycle: ${cycle.join(" → ")}`);
  }

  for (const [name, group] of Object.entries(config.machines)) {
    const a = group.autoscaling;
    if (a && a.min > a.max) {
      add(`machines.${name}.autoscaling.min`, `min (${a.min}) is greater than max (${a.max}); lower min or raise max`, a.min);
    }
  }

  const indexes = new Map<number, string>();
  let drRegionReported = false;
  for (const [name, env] of Object.entries(config.environments)) {
    const at = `environments.${name}`;
    const settings = { ...presets[env.preset ?? defaultPresetFor(name)], ...env.settings };
    if (settings.nodesMin > settings.nodesMax) {
      add(`${at}.settings.nodesMin`, `nodesMin (${settings.nodesMin}) is greater than nodesMax (${settings.nodesMax})`, settings.nodesMin);
    }
    if (settings.drReplica && !config.project.drRegion) {
      add(`${at}.settings.drReplica`, `a DR replica needs project.drRegion (e.g. europe-west4), or set drReplica: false`, true);
    }
    const region = env.region ?? config.project.region;
    if (config.project.drRegion && config.project.drRegion === region) {
      // Located where the clash is written: the environment's own region, else project.drRegion (once).
      if (env.region !== undefined) {
        add(`${at}.region`, `the region of environment "${name}" is project.drRegion "${region}"; the DR region must differ from the primary region`, env.region);
      } else if (!drRegionReported) {
        add(`project.drRegion`, `the DR region must differ from the primary region "${region}"`, config.project.drRegion);
        drRegionReported = true;
      }
    }
    if (env.index === undefined && !Object.hasOwn(defaultIndexes, name)) {
      // An alphabetical default would move this environment's ranges (and replace its subnets)
      // the day another environment is added: its slot must be written down.
      add(`${at}.index`, `environment "${name}" has no default CIDR slot (only prod and stage do); set index to a free slot 2-15 so its ranges never move`);
    }
    if (env.index !== undefined) {
      const other = indexes.get(env.index);
      if (other) add(`${at}.index`, `index ${env.index} is already used by environment "${other}"; each environment needs its own CIDR block`, env.index);
      indexes.set(env.index, name);
      // Taking the default slot of prod/stage would silently move that environment's ranges
      // (and replace its subnets): the CIDR plan is a contract.
      const owner = Object.keys(config.environments).find(
        (n) => n !== name && config.environments[n]!.index === undefined && Object.hasOwn(defaultIndexes, n) && defaultIndexes[n] === env.index,
      );
      if (owner) {
        add(
          `${at}.index`,
          `index ${env.index} is the default CIDR block of environment "${owner}", which would move to another block; choose another index, or set environments.${owner}.index too`,
          env.index,
        );
      }
    }
  }
  for (const problem of cidrProblems(config)) add(problem.path, problem.message, problem.value);
  checkDataTiers(config, add);
  checkConnectionRules(config, add);
  checkDatabaseOwners(config, add);
  if (config.observability?.tracing && Object.hasOwn(config.services, "otel-collector")) {
    add("services.otel-collector", `"otel-collector" is the trace collector's name when observability.tracing is on; rename this service`);
  }
  if (config.ci && !Object.hasOwn(config.environments, config.ci.github.identityEnvironment)) {
    const name = config.ci.github.identityEnvironment;
    add("ci.github.identityEnvironment", unknownName("environment", name, Object.keys(config.environments), "environments"), name);
  } else if (config.ci && config.ci.github.poolProjectNumber === undefined) {
    // An environment in another project cannot look the pool project's number up: its deploy and
    // preview identities hold no resourcemanager.projects.get there (gcp-review 6).
    const poolProject = config.environments[config.ci.github.identityEnvironment]!.gcpProject;
    const others = Object.entries(config.environments).filter(([, env]) => env.gcpProject !== poolProject).map(([name]) => name);
    if (others.length > 0) {
      add(
        "ci.github.poolProjectNumber",
        `environments ${others.join(", ")} live outside the pool project "${poolProject}" and cannot look its number up; ` +
          `set ci.github.poolProjectNumber to the output of: gcloud projects describe ${poolProject} --format='value(projectNumber)'`,
      );
    }
  }
  checkCi(config, add);
  checkOperations(config, add);
  checkRbacGroups(config, add);
  checkArtifactRegistryImages(config, add);
  checkMachines(config, add);
  checkMachineDomains(config, add);
  checkGitops(config, add);
  checkEdge(config, add);
  checkBucketCdn(config, add);

  return issues;
}

/** Machine groups: what their services and rollout releases need (issue 6). */
function checkMachines(config: BrumeConfig, add: Add): void {
  for (const [group, g] of Object.entries(config.machines)) {
    const at = `machines.${group}`;
    const onGroup = Object.entries(config.services).filter(([, svc]) => svc.runner !== "kubernetes" && svc.machines === group);
    // A process service without source already has its own issue (checkServiceSource).
    const processes = onGroup.filter(([, svc]) => svc.runner === "process" && svc.source !== undefined);
    if (processes.length > 0 && !g.vfox) {
      add(`${at}.vfox`, `process services (${processes.map(([n]) => n).join(", ")}) need vfox: set version, url and sha256 of the vfox binary`);
    }
    if (g.image === "cos-stable") {
      // Container-Optimized OS has no package manager and mounts /var noexec: no vfox toolchains,
      // no source builds; only containers (docker) run there (src/render/layout.ts).
      if (g.runners.includes("process")) {
        add(`${at}.runners`, `image cos-stable runs container services only (no vfox toolchains on Container-Optimized OS); remove "process" from runners, or set ${at}.image: debian-12`, g.runners);
      }
      for (const [name, svc] of onGroup.filter(([, svc]) => svc.runner === "process")) {
        add(
          `services.${name}.runner`,
          `machine group "${group}" runs cos-stable, which has no process runner (no vfox toolchains, /var is noexec); run the service as a container (runner: container, image), or set ${at}.image: debian-12`,
          svc.runner,
        );
      }
      if (g.engine !== "docker") add(`${at}.engine`, `Container-Optimized OS ships docker only; set engine: docker or image: debian-12`, g.engine);
    }
    const otherPorts = [...new Set(g.serves)].filter((p) => p !== servedPort);
    if (otherPorts.length > 0) {
      add(
        `${at}.serves`,
        `the machines are served through the environment's Application Load Balancer, which reaches Caddy on ${servedPort} only (HTTPS; Caddy routes by host and path to the services' ports); ${otherPorts.join(", ")} cannot be served: set serves: [${servedPort}], or [] for no load balancer`,
        g.serves,
      );
    }
    for (const [name, svc] of processes) {
      if (!svc.command?.length) add(`services.${name}.command`, `runner "process" needs the command that starts the service`);
    }
    // The machines' load balancer is public and has no IAP: refuse what it would silently ignore.
    for (const [name, svc] of onGroup) {
      if (svc.expose && !svc.expose.public) {
        add(`services.${name}.expose.public`, `services on machines are served by the environment's public load balancer only; remove public: false, or run the service with runner: kubernetes (internal gateway)`, false);
      }
      if (svc.expose?.iap) {
        add(`services.${name}.expose.iap`, `Identity-Aware Proxy is not set up on the machines' load balancer; remove iap, or run the service with runner: kubernetes`, true);
      }
    }
    const s = g.strategy;
    const releases = s.type === "canary" ? { stable: s.stable, canary: s.canary } : s.type === "blueGreen" ? { blue: s.blue, green: s.green } : {};
    if (s.type === "blueGreen" && !s[s.active]) add(`${at}.strategy.${s.active}`, `the active slot "${s.active}" needs a release ({ version: … })`);
    if (s.type === "canary" && s.canary?.version === s.stable.version) {
      add(`${at}.strategy.canary.version`, `the canary must differ from the stable release (${s.stable.version})`, s.canary.version);
    }
    if (s.type === "blueGreen" && s.blue && s.green && s.blue.version === s.green.version) {
      add(`${at}.strategy.green.version`, `blue and green must be different releases (${s.blue.version})`, s.green.version);
    }
    const names = onGroup.map(([n]) => n);
    for (const [slot, release] of Object.entries(releases)) {
      for (const [svc, over] of Object.entries(release?.services ?? {})) {
        const path = `${at}.strategy.${slot}.services.${svc}`;
        if (!names.includes(svc)) {
          add(path, unknownName("service on this group", svc, names, "services on this group"), svc);
          continue;
        }
        // A release moves what the service's source is: a git service's ref, an archive service's archive.
        const source = config.services[svc]!.source;
        if (over.ref !== undefined && source?.git === undefined) add(`${path}.ref`, `service ${svc} has no git source; a release sets ${source?.artifact ? "artifact (url + sha256)" : "image"} for it`, over.ref);
        if (over.artifact !== undefined && !source?.artifact) add(`${path}.artifact`, `service ${svc} has no archive source; a release sets ${source?.git ? "ref" : "image"} for it`, over.artifact);
      }
    }
  }
}

/**
 * The domains of the serving machine groups share one URL map and one Google-managed certificate:
 * a serving group needs a domain (the URL map routes by host), a domain goes to one group (a host
 * rule names one backend service), and a managed certificate covers at most 100 domains.
 */
function checkMachineDomains(config: BrumeConfig, add: Add): void {
  const owner = new Map<string, string>();
  let count = 0;
  for (const [group, g] of Object.entries(config.machines).sort(([a], [b]) => a.localeCompare(b))) {
    if (!g.serves.includes(servedPort)) continue;
    const services = Object.entries(config.services)
      .filter(([, svc]) => svc.runner !== "kubernetes" && svc.machines === group && svc.expose)
      .sort(([a], [b]) => a.localeCompare(b));
    if (services.length === 0) {
      add(
        `machines.${group}.serves`,
        `the load balancer routes by host, and no service on machine group "${group}" exposes a domain; add expose.domains to a service on it, or set serves: []`,
        g.serves,
      );
      continue;
    }
    const seen = new Set<string>();
    for (const [name, svc] of services) {
      svc.expose!.domains.forEach((raw, i) => {
        const [domain] = normalizedDomains([raw]);
        const other = owner.get(domain!);
        if (other && other !== group) {
          add(
            `services.${name}.expose.domains[${i}]`,
            `domain "${domain}" is already served by machine group "${other}"; the load balancer sends a host to one group: move the service to machines: ${other}, or use another domain`,
            raw,
          );
          return;
        }
        owner.set(domain!, group);
        if (!seen.has(domain!)) count++;
        seen.add(domain!);
      });
    }
  }
  if (count > maxCertificateDomains) {
    add(
      "machines",
      `the serving machine groups expose ${count} domains, and their load balancer's Google-managed certificate covers at most ${maxCertificateDomains}; serve fewer domains from machines (or move services to the cluster)`,
      count,
    );
  }
}

type Add = (path: string, message: string, value?: unknown) => void;

/** Shared-core Cloud SQL tiers: no SLA, even with high availability. */
export const sharedCoreDatabaseTiers = ["db-f1-micro", "db-g1-small"] as const;

/**
 * Sizes and availability the data services can actually have in each environment: the config is
 * shared, the preset decides HA, so each environment is checked and named in the message.
 */
function checkDataTiers(config: BrumeConfig, add: Add): void {
  for (const [envName, env] of Object.entries(config.environments)) {
    const settings = { ...presets[env.preset ?? defaultPresetFor(envName)], ...env.settings };
    const where = `in environment "${envName}" (highAvailability ${settings.highAvailability})`;
    for (const [name, cache] of Object.entries(config.caches)) {
      const memoryGb = cache.memoryGb ?? settings.cacheMemoryGb;
      for (const problem of cacheTierProblems({ highAvailability: settings.highAvailability, memoryGb, readReplicas: cache.readReplicas })) {
        const path = problem.path === "memoryGb" && cache.memoryGb === undefined ? `environments.${envName}.settings.cacheMemoryGb` : `caches.${name}.${problem.path}`;
        add(path, `${where}: ${problem.message}`, problem.value);
      }
    }
    for (const [name, db] of Object.entries(config.databases)) {
      const tier = db.tier ?? settings.databaseTier;
      if (settings.highAvailability && (sharedCoreDatabaseTiers as readonly string[]).includes(tier)) {
        add(
          db.tier !== undefined ? `databases.${name}.tier` : `environments.${envName}.settings.databaseTier`,
          `${where}: shared-core tier "${tier}" has no SLA even when regional; use a dedicated-core tier such as db-custom-1-3840, or turn highAvailability off`,
          tier,
        );
      }
    }
  }
}

/** The preferred CIDR plan slots of environmentIndexes (cidr-plan.ts): prod 0, stage 1. */

/** A process source is git at a pinned ref or a verified archive: one of them, complete. */
function checkProcessSource(source: NonNullable<ServiceConfig["source"]>, at: string, add: Add): void {
  const git = source.git !== undefined || source.ref !== undefined;
  if (source.artifact && git) add(`${at}.artifact`, "set either artifact (url + sha256) or git + ref, not both", source.artifact);
  else if (!source.artifact && source.git === undefined) add(`${at}.git`, "set git + ref (a pinned commit or tag), or artifact (url + sha256 of a .tar.gz)", source);
  else if (source.git !== undefined && source.ref === undefined) add(`${at}.ref`, "git needs ref: a pinned commit or tag", source);
}

function checkServiceSource(svc: ServiceConfig, at: string, add: Add): void {
  const slotsCarryImages = svc.strategy.type !== "rolling";
  if (svc.runner === "process") {
    if (!svc.source) add(`${at}.source`, `runner "process" needs source (git + ref, or artifact; and runtime); image and build are for containers`);
    else checkProcessSource(svc.source, `${at}.source`, add);
    if (svc.image || svc.build) add(`${at}.${svc.image ? "image" : "build"}`, `runner "process" runs source, not images; remove it or use runner "container"`);
    return;
  }
  if (svc.image && svc.build) add(`${at}.build`, `set either image or build, not both`);
  if (svc.build && svc.runner !== "kubernetes") {
    add(`${at}.build`, `build runs for runner "kubernetes" (pushed to the environment's registry); for "${svc.runner}", push the image and set image`);
  } else if (svc.build && svc.strategy.type !== "rolling") {
    add(`${at}.build`, `"${svc.strategy.type}" releases name each version's image in strategy slots; build with rolling, or push images and list them in the slots`);
  }
  if (!svc.image && !svc.build && !slotsCarryImages) add(`${at}.image`, `missing image; set image (a registry reference) or build (context + Dockerfile)`);
}

function checkUses(config: BrumeConfig, svc: ServiceConfig, at: string, add: Add): void {
  const u = svc.uses;
  if (u.database && !has(config.databases, u.database)) add(`${at}.uses.database`, unknownName("database", u.database, Object.keys(config.databases), "databases"), u.database);
  if (u.cache && !has(config.caches, u.cache)) add(`${at}.uses.cache`, unknownName("cache", u.cache, Object.keys(config.caches), "caches"), u.cache);
  u.topics.forEach((t, i) => {
    if (!has(config.topics, t)) add(`${at}.uses.topics[${i}]`, unknownName("topic", t, Object.keys(config.topics), "topics"), t);
  });
  u.subscriptions.forEach((ref, i) => {
    const [topic, sub] = ref.split("/") as [string, string];
    const declared = has(config.topics, topic) ? config.topics[topic] : undefined;
    if (!declared) add(`${at}.uses.subscriptions[${i}]`, unknownName("topic", topic, Object.keys(config.topics), "topics"), ref);
    else if (!has(declared.subscriptions, sub)) {
      add(`${at}.uses.subscriptions[${i}]`, unknownName("subscription", sub, Object.keys(declared.subscriptions), `subscriptions of topic "${topic}"`), ref);
    }
  });
  u.buckets.forEach((b, i) => {
    if (!has(config.buckets, b)) add(`${at}.uses.buckets[${i}]`, unknownName("bucket", b, Object.keys(config.buckets), "buckets"), b);
  });
  u.secrets.forEach((s, i) => {
    if (!has(config.secrets, s)) add(`${at}.uses.secrets[${i}]`, unknownName("secret", s, Object.keys(config.secrets), "secrets"), s);
  });
}

function checkStrategy(svc: ServiceConfig, at: string, add: Add): void {
  const s = svc.strategy;
  if (s.type === "blueGreen") {
    if (!s[s.active]) add(`${at}.strategy.${s.active}`, `the active slot "${s.active}" has no version; set strategy.${s.active}: { version, image }`);
    if (s.blue && s.green && s.blue.version === s.green.version) {
      add(`${at}.strategy.green.version`, `blue and green carry the same version "${s.blue.version}"; each slot holds a distinct version`, s.green.version);
    }
  }
  if (s.type === "canary") {
    if (s.weight > 0 && !s.canary) add(`${at}.strategy.weight`, `weight ${s.weight} routes traffic to a canary that is not defined; set strategy.canary or weight: 0`, s.weight);
    if (s.canary && s.canary.version === s.stable.version) {
      add(`${at}.strategy.canary.version`, `the canary carries the stable version "${s.stable.version}"; give it a new version`, s.canary.version);
    }
  }
  checkReleaseState(svc, at, add);
  if (svc.expose === undefined && s.type !== "rolling") {
    add(`${at}.strategy.type`, `"${s.type}" shifts traffic at the gateway, so the service needs expose (domains); use "rolling" for internal services`, s.type);
  }
}

/** Each elementary cycle found by a DFS over dependsOn, as a list of names ending where it started. */
export function dependencyCycles(config: BrumeConfig): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of config.services[name]?.dependsOn ?? []) {
      if (!has(config.services, dep) || dep === name) continue;
      if (state.get(dep) === "visiting") cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of Object.keys(config.services).sort()) if (!state.has(name)) visit(name);
  return cycles;
}

/** Observability, access and recovery sections: the names they use must be declared (issue 8). */
function checkOperations(config: BrumeConfig, add: Add): void {
  const envNames = Object.keys(config.environments);
  const slack = config.observability?.notifications.slack;
  if (slack && !has(config.secrets, slack.tokenSecret)) {
    add("observability.notifications.slack.tokenSecret", `${unknownName("secret", slack.tokenSecret, Object.keys(config.secrets), "secrets")}; declare it under secrets and set the token: pulumi config set --secret --path 'brume:secrets.${slack.tokenSecret}' <token>`, slack.tokenSecret);
  }
  // A budget notifies every channel (allUpdatesRule.monitoringNotificationChannels), and the
  // Billing Budgets API takes "a maximum of 5 channels" (@pulumi/gcp 9.37 types/input.d.ts,
  // BudgetAllUpdatesRule; gcp-review 10): refuse more here rather than fail the apply or drop some.
  const channels = config.observability ? config.observability.notifications.emails.length + (slack ? 1 : 0) : 0;
  if (config.observability?.budget && channels > maxBudgetChannels) {
    add(
      "observability.notifications.emails",
      `a budget notifies at most ${maxBudgetChannels} channels (Billing Budgets API), but ${channels} are configured (${config.observability.notifications.emails.length} emails${slack ? " + Slack" : ""}); use a group address for several people, or keep at most ${maxBudgetChannels - (slack ? 1 : 0)} emails`,
      config.observability.notifications.emails,
    );
  }
  for (const env of Object.keys(config.observability?.budget?.amounts ?? {})) {
    if (!has(config.environments, env)) add(`observability.budget.amounts.${env}`, unknownName("environment", env, envNames, "environments"), env);
  }
  (config.access?.dataReadAuditLogs ?? []).forEach((service, i) => {
    if (!config.access!.auditLogs.includes(service)) {
      add(`access.dataReadAuditLogs[${i}]`, `DATA_READ audit logs need the service's audit config; add "${service}" to access.auditLogs or remove it here`, service);
    }
  });
  (config.recovery?.enforce ?? []).forEach((env, i) => {
    if (!has(config.environments, env)) add(`recovery.enforce[${i}]`, unknownName("environment", env, envNames, "environments"), env);
  });
}

/**
 * Retained versions (rollback targets) of blueGreen / canary strategies: at most `keep`, distinct
 * from each other and from the slots, and `version` (a rollback) names one that is still deployed.
 */
function checkRetention(svc: ServiceConfig, at: string, add: Add): void {
  const s = svc.strategy;
  if (s.type === "rolling") return;
  const p = `${at}.strategy`;
  if (s.retained.length > s.keep) {
    add(`${p}.retained`, `${s.retained.length} retained versions but keep is ${s.keep}; remove the oldest (last) ones or raise keep`, s.retained.length);
  }
  const live = s.type === "blueGreen" ? [s.blue, s.green] : [s.stable, s.canary];
  const seen = new Set(live.filter((r) => r !== undefined).map((r) => r!.version));
  s.retained.forEach((r, i) => {
    if (seen.has(r.version)) add(`${p}.retained[${i}].version`, `version "${r.version}" is listed twice; each deployed version appears once`, r.version);
    seen.add(r.version);
  });
  if (s.version !== undefined && !seen.has(s.version)) {
    add(`${p}.version`, `version "${s.version}" is not deployed, so traffic cannot go back to it; deployed versions: ${[...seen].join(", ")}`, s.version);
  }
  if (s.type === "canary" && s.version !== undefined && s.version === s.canary?.version) {
    add(`${p}.version`, `version "${s.version}" is the canary; promote it (brume release promote) instead of pointing version at it`, s.version);
  }
}

/**
 * Each Kubernetes service gets a Google service account `<project>-<env>-<service>`, and a service
 * account id is 6-30 characters (src/config/naming.ts `nameMinimums`): longer ids are cut with a hash,
 * shorter ones cannot be made valid, so they fail here with the service's path (gcp-review 38).
 */
function checkServiceAccountIds(config: BrumeConfig, add: Add): void {
  for (const [name, svc] of Object.entries(config.services)) {
    if (svc.runner !== "kubernetes") continue;
    for (const env of Object.keys(config.environments)) {
      const id = joinedName([config.project.name, env, name]);
      const problem = nameProblem(id, "serviceAccountId");
      if (problem === undefined) continue;
      add(
        `services.${name}`,
        `service account id in environment "${env}": ${problem}; use a service name of at least ${6 - id.length + name.length} characters (or a longer project name)`,
        name,
      );
      break;
    }
  }
}
