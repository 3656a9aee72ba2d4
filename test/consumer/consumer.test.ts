/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), install the
 * tarball into a fresh TypeScript project made of examples/consumer-stack (its package.json and
 * tsconfig.json, its index.ts importing "@brume/infra"), compile it with that project's own tsc
 * against the published .d.ts, check there is exactly one @pulumi/pulumi, then plan the compiled
 * program with `@brume/infra/plan` from the installed package and assert on the resource graph;
 * run the example's own test (index.test.ts, written with `@brume/infra/testing`) with `npm test`;
 * and the same tarball in a CommonJS stack, every subpath loaded with `require` and `import`.
 *
 * The tarball is the run's one pack (./pack.ts: cached under a hash of the sources, shared by every
 * consumer test). Installs come from npm's cache (--prefer-offline).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { presets } from "../../src/config/presets.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { planProgram, repoRoot } from "../harness.js";
import { packedPackage } from "./pack.js";

const exampleDir = join(repoRoot, "examples", "consumer-stack");
const rootPackage = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  version: string;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  devDependencies: Record<string, string>;
};
const examplePackage = JSON.parse(readFileSync(join(exampleDir, "package.json"), "utf8")) as {
  type?: string;
  main?: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const pulumiProject = parseYaml(readFileSync(join(exampleDir, "Pulumi.yaml"), "utf8")) as {
  name: string;
  main: string;
  runtime: { name: string; options?: { typescript?: boolean } };
};
const exampleTsconfig = JSON.parse(readFileSync(join(exampleDir, "tsconfig.json"), "utf8")) as {
  compilerOptions: Record<string, unknown>;
};
const cjsDir = join(repoRoot, "examples", "consumer-cjs-stack");
const cjsPackage = JSON.parse(readFileSync(join(cjsDir, "package.json"), "utf8")) as { type?: string; dependencies: Record<string, string> };
/** The example as a user writes it: the repository-relative specifier replaced by the package name. */
const sourceSpecifier = "../../src/index.js";
const testKitSpecifier = "../../src/testing/index.js";

/** Plans of the compiled program in the installed project: stack prod, and stack sandbox → dev. */
const runs = [
  { project: pulumiProject.name, stack: "prod" },
  { project: pulumiProject.name, stack: "sandbox", config: { [`${pulumiProject.name}:environment`]: "dev" } },
];

/** The child processes run as from a shell in their own directory, not inside `npm test`. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(npm_package_|npm_lifecycle_)/i.test(key) || /^(npm_command|npm_config_local_prefix|npm_config_call|INIT_CWD)$/i.test(key)) {
      delete env[key];
    }
  }
  return env;
}

const timings: Record<string, number> = {};

function run(label: string, command: string, args: string[], cwd: string): Promise<string> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 480_000 }, (err, stdout, stderr) => {
      timings[label] = Date.now() - started;
      if (err) reject(new Error(`${label}: \`${command} ${args.join(" ")}\` failed in ${cwd}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}

/** Every installed copy of a package under `root`/node_modules, nested ones included. */
function installedCopies(root: string, name: string): string[] {
  const found: string[] = [];
  const visit = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return;
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith(".")) continue;
      const dirs = entry.startsWith("@")
        ? readdirSync(join(nodeModules, entry)).map((scoped) => join(nodeModules, entry, scoped))
        : [join(nodeModules, entry)];
      for (const dir of dirs) {
        if (relative(nodeModules, dir).split(sep).join("/") === name) found.push(dir);
        visit(join(dir, "node_modules"));
      }
    }
  };
  visit(join(root, "node_modules"));
  return found;
}

/** Module specifiers of static and dynamic imports in TypeScript source. */
const specifiers = (source: string) => [...source.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!);

interface RunnerOutput {
  exports: string[];
  programMain: string[];
  resolved: Record<"infra" | "plan" | "pulumi", string>;
  plans: Plan[];
}

let work = "";
let app = "";
let packedFiles: string[] = [];
let tarball = "";
let lsParseable: string[] = [];
let lsTree: { dependencies?: Record<string, { version?: string; dependencies?: Record<string, unknown> }> } = {};
let runner: RunnerOutput;
let cjsApp = "";
let cjsRunner: CjsRunnerOutput;
interface CjsRunnerOutput {
  plan: Plan;
  resolved: Record<"infra" | "plan" | "pulumi", string>;
  sameModule: boolean;
  subpaths: Record<string, string[]>;
  warnings: string[];
}
let fromSources: Plan;
let kitTestOutput = "";

beforeAll(async () => {
  // The same program from the sources, planned right before the working tree is copied and packed.
  fromSources = await planProgram(async () => (await import("../../examples/consumer-stack/index.js")).default(), runs[0]);
  work = mkdtempSync(join(tmpdir(), "brume-consumer-"));

  // 1. The one tarball of these sources, shared by every consumer test of the run (./pack.ts).
  const started = Date.now();
  const pack = await packedPackage();
  timings[pack.packed ? "npm pack" : "npm pack (cached)"] = Date.now() - started;
  packedFiles = pack.files;
  tarball = pack.tarball;

  // 2. A fresh project: the example's package.json with @brume/infra pointing at the tarball.
  app = join(work, "app");
  mkdirSync(app);
  const manifest = structuredClone(examplePackage);
  manifest.dependencies["@brume/infra"] = `file:${tarball}`;
  writeFileSync(join(app, "package.json"), JSON.stringify(manifest, null, 2));
  writeFileSync(join(app, "tsconfig.json"), readFileSync(join(exampleDir, "tsconfig.json")));
  writeFileSync(join(app, "index.ts"), readFileSync(join(exampleDir, "index.ts"), "utf8").replaceAll(`"${sourceSpecifier}"`, `"${rootPackage.name}"`));
  // The stack's own test, written with the test kit: from the installed @brume/infra/testing.
  writeFileSync(join(app, "index.test.ts"), readFileSync(join(exampleDir, "index.test.ts"), "utf8").replaceAll(`"${testKitSpecifier}"`, `"${rootPackage.name}/testing"`));
  await run("npm install", "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], app);

  // 3. Compile with the project's own tsc (strict, NodeNext, no skipLibCheck) through its build script.
  await run("npm run build", "npm", ["run", "build"], app);

  // 4. One @pulumi/pulumi, as npm sees it.
  lsParseable = (await run("npm ls --parseable", "npm", ["ls", "@pulumi/pulumi", "--all", "--parseable"], app)).trim().split("\n");
  lsTree = JSON.parse(await run("npm ls --json", "npm", ["ls", "@pulumi/pulumi", "--all", "--json"], app));

  // 5. Plan the compiled program with the installed package, the way Pulumi loads it.
  writeFileSync(
    join(app, "plan.mjs"),
    `import { checkCreationOrder, planContract, runProgram } from "@brume/infra/plan";
const entry = new URL(${JSON.stringify(`./${pulumiProject.main}`)}, import.meta.url).href;
const plans = [];
for (const options of JSON.parse(process.argv[2])) {
  const plan = await runProgram(async () => (await import(entry)).default(), options);
  planContract.parse(plan);
  // The creation-order check, as a user's stack runs it from the package.
  const violations = checkCreationOrder(plan);
  if (violations.length > 0) throw new Error(JSON.stringify(violations, null, 2));
  plans.push(plan);
}
const resolved = Object.fromEntries(
  [["infra", "@brume/infra"], ["plan", "@brume/infra/plan"], ["pulumi", "@pulumi/pulumi"]].map(([k, s]) => [k, import.meta.resolve(s)]),
);
// The program product repositories name in Pulumi.yaml (main: node_modules/@brume/infra/dist/src/program/main.js).
const programMain = Object.keys(await import(new URL("./node_modules/@brume/infra/dist/src/program/main.js", import.meta.url).href));
process.stdout.write(JSON.stringify({ exports: Object.keys(await import(entry)), resolved, plans, programMain }));
`,
  );
  runner = JSON.parse(await run("plan", process.execPath, ["plan.mjs", JSON.stringify(runs)], app)) as RunnerOutput;

  // 6. The same tarball in a CommonJS stack laid out as `pulumi new typescript` creates it.
  cjsApp = join(work, "cjs-app");
  mkdirSync(cjsApp);
  const cjsManifest = structuredClone(cjsPackage);
  cjsManifest.dependencies["@brume/infra"] = `file:${tarball}`;
  writeFileSync(join(cjsApp, "package.json"), JSON.stringify(cjsManifest, null, 2));
  for (const file of ["tsconfig.json", "index.ts"]) writeFileSync(join(cjsApp, file), readFileSync(join(cjsDir, file)));
  await run("npm install (cjs)", "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], cjsApp);
  await run("npm run build (cjs)", "npm", ["run", "build"], cjsApp);
  writeFileSync(
    join(cjsApp, "plan.cjs"),
    `const warnings = [];
process.on("warning", (w) => warnings.push(w.name + ": " + w.message));
const { planContract, runProgram } = require("@brume/infra/plan");
(async () => {
  const plan = await runProgram(() => require("./bin/index.js"), { project: "consumer-cjs-stack", stack: "prod" });
  planContract.parse(plan);
  const required = require("@brume/infra");
  const imported = await import("@brume/infra");
  process.stdout.write(JSON.stringify({
    plan,
    resolved: { infra: require.resolve("@brume/infra"), plan: require.resolve("@brume/infra/plan"), pulumi: require.resolve("@pulumi/pulumi") },
    sameModule: required.Project === imported.Project,
    subpaths: Object.fromEntries(["components", "render", "plan", "review", "testing", "testing/vitest", "program"].map((s) => [s, Object.keys(require("@brume/infra/" + s)).sort()])),
    warnings,
  }));
})().catch((err) => { console.error(err); process.exit(1); });
`,
  );
  cjsRunner = JSON.parse(await run("plan (cjs)", process.execPath, ["plan.cjs"], cjsApp)) as CjsRunnerOutput;

  // 7. The example's own test (the test kit, under node --test) in the installed ESM stack, compiled
  // by step 3's build (its `npm test` is that build, then this).
  kitTestOutput = await run("node --test (test kit)", process.execPath, ["--test", "bin/index.test.js"], app);
  console.info(`consumer test steps (ms): ${JSON.stringify(timings)}`);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("@brume/infra packed, installed and imported by another TypeScript stack", () => {
  it("packs dist, the schema and the README, every exported path, and no sources or tests", () => {
    for (const path of ["package.json", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/plan/index.js", "dist/src/plan/index.d.ts", "schema/brume.schema.json"]) {
      expect(packedFiles, path).toContain(path);
    }
    if (existsSync(join(repoRoot, "README.md"))) expect(packedFiles).toContain("README.md");
    // Every path package.json promises (exports, bin) is in the tarball.
    const targets = Object.values(rootPackage.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
    for (const target of [...targets, ...Object.values(rootPackage.bin)]) {
      expect(packedFiles, target).toContain(target.replace(/^\.\//, ""));
    }
    // Each component ships its declarations: a consumer types its args from them.
    expect(packedFiles).toEqual(expect.arrayContaining(["dist/src/components/network/network.d.ts", "dist/src/components/project/project.d.ts"]));

    const leaked = packedFiles.filter(
      (p) =>
        /^(src|components|test|examples|bench|node_modules|\.ci)\//.test(p) ||
        (p.endsWith(".ts") && !p.endsWith(".d.ts")) ||
        /(^|\/)(tsconfig[^/]*\.json|vitest\.config\.\w+|Pulumi(\.[^/]+)?\.yaml|brume\.(yaml|toml)|[^/]+\.tgz)$/.test(p) ||
        /\.test\.(js|d\.ts)(\.map)?$/.test(p),
    );
    expect(leaked).toEqual([]);
  });

  it("compiles against the .d.ts with one @pulumi/pulumi, and plans the compiled stack", async () => {
    // The shipped example is consistent: an ES module built to the file Pulumi.yaml runs.
    expect(examplePackage.type).toBe("module");
    expect(pulumiProject.runtime).toMatchObject({ name: "nodejs", options: { typescript: false } });
    expect(pulumiProject.main).toBe("bin/index.js");
    expect(examplePackage.main).toBe(pulumiProject.main);
    expect(exampleTsconfig.compilerOptions).toMatchObject({ module: "NodeNext", moduleResolution: "NodeNext", strict: true, outDir: "bin" });
    expect(exampleTsconfig.compilerOptions).not.toHaveProperty("skipLibCheck");
    expect(examplePackage.dependencies).toMatchObject({
      [rootPackage.name]: `^${rootPackage.version}`,
      "@pulumi/pulumi": rootPackage.devDependencies["@pulumi/pulumi"],
    });
    expect(new Set(specifiers(readFileSync(join(exampleDir, "index.ts"), "utf8")))).toEqual(new Set(["@pulumi/pulumi", sourceSpecifier]));
    expect(existsSync(join(app, pulumiProject.main))).toBe(true);

    // One @pulumi/pulumi: npm's view (every dependent deduped onto the top-level copy) and the disk's.
    const topLevel = join(app, "node_modules", "@pulumi", "pulumi");
    expect(new Set(lsParseable.filter((l) => l.length > 0))).toEqual(new Set([topLevel]));
    expect(lsTree.dependencies?.["@pulumi/pulumi"]?.version).toBe(rootPackage.devDependencies["@pulumi/pulumi"]);
    expect(installedCopies(app, "@pulumi/pulumi")).toEqual([topLevel]);

    // Pulumi's ES module rule (default export only), and everything came from the installed tarball.
    expect(runner.exports).toEqual(["default"]);
    const installed = `file://${join(app, "node_modules")}/`;
    expect(runner.resolved).toEqual({
      infra: `${installed}@brume/infra/dist/src/index.js`,
      plan: `${installed}@brume/infra/dist/src/plan/index.js`,
      pulumi: `${installed}@pulumi/pulumi/index.js`,
    });

    const [prod, sandbox] = runner.plans as [Plan, Plan];
    const urn = (stack: string, typeChain: string, name: string) => `urn:pulumi:${stack}::consumer-stack::${typeChain}::${name}`;
    const find = (plan: Plan, type: string, name: string): PlannedResource => {
      const found = plan.resources.filter((r) => r.type === type && r.name === name);
      expect(found, `${type} ${name}`).toHaveLength(1);
      return found[0]!;
    };
    const counts = (resources: PlannedResource[]) =>
      resources.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.type]: (acc[r.type] ?? 0) + 1 }), {});
    const descendants = (plan: Plan, ancestor: string): PlannedResource[] =>
      plan.resources.filter((r) => r.parent === ancestor).flatMap((r) => [r, ...descendants(plan, r.urn)]);

    // What the program itself declares: one Project (provider → Environment → Network) and one Network.
    expect(prod.resources.filter((r) => r.parent === "").map((r) => `${r.type}::${r.name}`).sort()).toEqual([
      "brume:network:Network::sandbox",
      "brume:project:Project::acme",
    ]);
    expect(counts(prod.resources)).toMatchObject({
      "brume:project:Project": 1,
      "pulumi:providers:gcp": 1,
      "brume:environment:Environment": 1,
      "brume:network:Network": 2,
      "gcp:compute/network:Network": 2,
    });
    // Both Networks come from the same component: one VPC and its three subnets each (nodes, private, proxy).
    const envNetworkChildren = counts(descendants(prod, urn("prod", "brume:project:Project$brume:environment:Environment$brume:network:Network", "acme-prod-network")));
    const sandboxChildren = counts(descendants(prod, urn("prod", "brume:network:Network", "sandbox")));
    for (const children of [envNetworkChildren, sandboxChildren]) {
      expect(children).toMatchObject({ "gcp:compute/network:Network": 1, "gcp:compute/subnetwork:Subnetwork": 3 });
    }
    expect(prod.resources).toHaveLength(1 + descendants(prod, urn("prod", "brume:project:Project", "acme")).length + 1 + Object.values(sandboxChildren).reduce((a, b) => a + b, 0));

    // The Project: provider pinned to the environment, the tree of components under it.
    const project = find(prod, "brume:project:Project", "acme");
    expect(project).toMatchObject({ urn: urn("prod", "brume:project:Project", "acme"), parent: "", custom: false });
    const provider = find(prod, "pulumi:providers:gcp", "acme-gcp");
    expect(provider.urn).toBe(urn("prod", "brume:project:Project$pulumi:providers:gcp", "acme-gcp"));
    expect(provider.parent).toBe(project.urn);
    expect(provider.inputs).toMatchObject({
      project: "acme-prod-4242",
      region: "europe-west1",
      defaultLabels: { team: "data", project: "acme", environment: "prod", "managed-by": "brume" },
    });
    const environment = find(prod, "brume:environment:Environment", "acme-prod");
    expect(environment.parent).toBe(project.urn);
    const envNetwork = find(prod, "brume:network:Network", "acme-prod-network");
    expect(envNetwork.parent).toBe(environment.urn);
    const envVpc = find(prod, "gcp:compute/network:Network", "acme-prod-network-vpc");
    expect(envVpc.urn).toBe(
      urn("prod", "brume:project:Project$brume:environment:Environment$brume:network:Network$gcp:compute/network:Network", "acme-prod-network-vpc"),
    );
    expect(envVpc.parent).toBe(envNetwork.urn);
    expect(envVpc.inputs).toMatchObject({ project: "acme-prod-4242", name: "acme-prod-vpc", autoCreateSubnetworks: false, routingMode: "REGIONAL" });
    const envNodes = find(prod, "gcp:compute/subnetwork:Subnetwork", "acme-prod-network-nodes");
    expect(envNodes.inputs).toMatchObject({
      name: "acme-prod-nodes",
      region: "europe-west1",
      ipCidrRange: "10.0.0.0/20",
      secondaryIpRanges: [
        { rangeName: "pods", ipCidrRange: "10.8.0.0/13" },
        { rangeName: "services", ipCidrRange: "10.0.48.0/20" },
      ],
      privateIpGoogleAccess: true,
      logConfig: { flowSampling: presets.production.flowLogSampling },
      network: "projects/acme-prod-4242/global/networks/acme-prod-vpc",
    });
    expect(envNodes.dependencies).toContain(envVpc.urn);

    // The standalone Network: top-level, typed args and transforms applied, through the Project's provider.
    const sandboxNetwork = find(prod, "brume:network:Network", "sandbox");
    expect(sandboxNetwork).toMatchObject({ urn: urn("prod", "brume:network:Network", "sandbox"), parent: "", custom: false });
    const sandboxVpc = find(prod, "gcp:compute/network:Network", "sandbox-vpc");
    expect(sandboxVpc.parent).toBe(sandboxNetwork.urn);
    expect(sandboxVpc.inputs).toMatchObject({
      project: "acme-prod-4242",
      name: "acme-prod-sandbox-vpc",
      description: "Sandbox VPC for experiments, managed by brume",
      autoCreateSubnetworks: false,
    });
    const sandboxNodes = find(prod, "gcp:compute/subnetwork:Subnetwork", "sandbox-nodes");
    expect(sandboxNodes.inputs).toMatchObject({
      name: "acme-prod-sandbox-nodes",
      description: "GKE nodes of the sandbox",
      ipCidrRange: "10.240.0.0/20",
      secondaryIpRanges: [
        { rangeName: "pods", ipCidrRange: "10.248.0.0/13" },
        { rangeName: "services", ipCidrRange: "10.240.48.0/20" },
      ],
      logConfig: { flowSampling: 0.1 },
      network: "projects/acme-prod-4242/global/networks/acme-prod-sandbox-vpc",
    });
    // It waits on its own VPC and, of the Project's environment, only on the APIs it calls.
    expect(sandboxNodes.dependencies).toContain(sandboxVpc.urn);
    const [own, apis] = [sandboxNodes.dependencies.filter((d) => /^urn:pulumi:prod::consumer-stack::brume:network:Network\$/.test(d)), sandboxNodes.dependencies.filter((d) => !/^urn:pulumi:prod::consumer-stack::brume:network:Network\$/.test(d))];
    expect(own).toContain(sandboxVpc.urn);
    // (each API and its readiness wait, README "Waits")
    expect(apis.map((d) => d.slice(d.lastIndexOf("::") + 2)).sort()).toEqual([
      "acme-prod-apis-compute",
      "acme-prod-apis-compute-ready",
      "acme-prod-apis-dns",
      "acme-prod-apis-dns-ready",
      "acme-prod-apis-servicenetworking",
      "acme-prod-apis-servicenetworking-ready",
    ]);
    const sandboxProxy = find(prod, "gcp:compute/subnetwork:Subnetwork", "sandbox-proxy");
    expect(sandboxProxy.inputs).toMatchObject({ ipCidrRange: "10.240.32.0/23", purpose: "REGIONAL_MANAGED_PROXY", role: "ACTIVE" });
    expect(sandboxProxy.inputs).not.toHaveProperty("logConfig");
    // Every GCP resource, the sandbox's included, goes through the one pinned provider.
    const gcpResources = prod.resources.filter((r) => r.custom && r.type.startsWith("gcp:"));
    expect(gcpResources.length).toBeGreaterThanOrEqual(8);
    for (const r of gcpResources) expect(r.provider, r.urn).toBe(provider.urn);

    expect(prod.outputs).toEqual({
      environment: "prod",
      gcpProject: "acme-prod-4242",
      region: "europe-west1",
      // The CIDR plan only ever grows: these ranges stay, new ones may join.
      ranges: expect.objectContaining({
        nodesCidr: "10.0.0.0/20",
        privateCidr: "10.0.16.0/20",
        proxyCidr: "10.0.32.0/23",
        servicesCidr: "10.0.48.0/20",
        servicesAccessCidr: "10.0.64.0/20",
        masterCidr: "10.0.80.0/28",
        podsCidr: "10.8.0.0/13",
      }),
      networkId: "projects/acme-prod-4242/global/networks/acme-prod-vpc",
      sandboxNetworkId: "projects/acme-prod-4242/global/networks/acme-prod-sandbox-vpc",
      sandboxSubnets: {
        nodes: "https://www.googleapis.com/compute/v1/projects/acme-prod-4242/regions/europe-west1/subnetworks/acme-prod-sandbox-nodes",
        private: "https://www.googleapis.com/compute/v1/projects/acme-prod-4242/regions/europe-west1/subnetworks/acme-prod-sandbox-private",
        proxy: "https://www.googleapis.com/compute/v1/projects/acme-prod-4242/regions/europe-west1/subnetworks/acme-prod-sandbox-proxy",
      },
    });

    // Stack config reaches the program: `environment: dev` on stack "sandbox" deploys dev, in its own region.
    expect(sandbox.resources.filter((r) => r.parent === "").map((r) => r.urn).sort()).toEqual([
      urn("sandbox", "brume:network:Network", "sandbox"),
      urn("sandbox", "brume:project:Project", "acme"),
    ]);
    expect(counts(descendants(sandbox, urn("sandbox", "brume:network:Network", "sandbox")))).toEqual(sandboxChildren);
    expect(find(sandbox, "pulumi:providers:gcp", "acme-gcp").inputs).toMatchObject({ project: "acme-dev-4242", region: "europe-west3" });
    expect(find(sandbox, "gcp:compute/subnetwork:Subnetwork", "acme-dev-network-nodes").inputs).toMatchObject({
      name: "acme-dev-nodes",
      region: "europe-west3",
      ipCidrRange: "10.32.0.0/20",
      logConfig: { flowSampling: presets.development.flowLogSampling },
    });
    expect(find(sandbox, "gcp:compute/network:Network", "sandbox-vpc").inputs).toMatchObject({ project: "acme-dev-4242", name: "acme-dev-sandbox-vpc" });
    expect(sandbox.outputs).toMatchObject({ environment: "dev", gcpProject: "acme-dev-4242", region: "europe-west3" });

    // The published build plans exactly like the sources: same graph, inputs and outputs.
    expect(prod).toEqual(fromSources);
  });

  it("loads with require in a CommonJS stack (pulumi new typescript), one module instance, and plans it", () => {
    // The stack is CommonJS as Pulumi's template makes it: no "type": "module", tsconfig module commonjs.
    expect(cjsPackage.type).toBeUndefined();
    // tsconfig.json is JSON with comments (as tsc reads it): drop the comment lines.
    const tsconfigText = readFileSync(join(cjsDir, "tsconfig.json"), "utf8").replace(/^\s*\/\/.*$/gm, "");
    const tsconfig = JSON.parse(tsconfigText) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ module: "commonjs", moduleResolution: "node", strict: true, outDir: "bin" });
    expect(readFileSync(join(cjsApp, "bin", "index.js"), "utf8")).toMatch(/require\("@brume\/infra"\)/);
    // The exports map's default condition: require and import reach the same files, hence one copy of the state.
    const installed = join(cjsApp, "node_modules");
    expect(cjsRunner.resolved).toEqual({
      infra: join(installed, "@brume/infra/dist/src/index.js"),
      plan: join(installed, "@brume/infra/dist/src/plan/index.js"),
      pulumi: join(installed, "@pulumi/pulumi/index.js"),
    });
    expect(cjsRunner.sameModule).toBe(true);
    expect(installedCopies(cjsApp, "@pulumi/pulumi")).toEqual([join(installed, "@pulumi", "pulumi")]);
    const plan = cjsRunner.plan;
    const project = plan.resources.find((r) => r.type === "brume:project:Project");
    expect(project).toMatchObject({ name: "acme", parent: "", custom: false });
    expect(plan.resources.find((r) => r.type === "pulumi:providers:gcp")?.inputs).toMatchObject({ project: "acme-prod-4242", region: "europe-west1" });
    expect(plan.resources.filter((r) => r.type === "gcp:container/cluster:Cluster").map((r) => r.inputs.name)).toEqual(["acme-prod-gke"]);
    expect(plan.outputs).toEqual({
      gcpProject: "acme-prod-4242",
      networkId: "projects/acme-prod-4242/global/networks/acme-prod-vpc",
      clusterName: "acme-prod-gke",
    });
  });

  it("runs the example's own test, written with the test kit, against the installed @brume/infra/testing", () => {
    expect(readFileSync(join(app, "index.test.ts"), "utf8")).toContain('from "@brume/infra/testing"');
    expect(kitTestOutput).toMatch(/^# pass 2$/m);
    expect(kitTestOutput).toMatch(/^# fail 0$/m);
  });

  it("loads every subpath with require in a CommonJS stack", () => {
    expect(cjsRunner.subpaths.testing).toEqual(expect.arrayContaining(["planProgram", "assertInputs", "assertDependsOn", "assertGoldenPlan", "assertCreationOrder", "assertPolicy"]));
    expect(cjsRunner.subpaths["testing/vitest"]).toEqual(["installPlanMatchers", "planMatchers"]);
    expect(cjsRunner.subpaths.review).toEqual(expect.arrayContaining(["diffPlans", "estimateCost", "checkPlan", "runGate", "quotaDemand", "checkRecovery"]));
    expect(cjsRunner.subpaths.render).toContain("renderUserData");
    expect(cjsRunner.subpaths.components).toEqual(expect.arrayContaining(["firewallRules", "serviceManifests", "Naming", "Project"]));
    expect(cjsRunner.subpaths.program).toEqual(expect.arrayContaining(["default", "stackOutputs"]));
  });

  it("ships the Pulumi program with only a default export, as Pulumi's runtime requires of an entry module", () => {
    expect(runner.programMain).toEqual(["default"]);
  });
});
