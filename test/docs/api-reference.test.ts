/**
 * The API reference (`npm run docs`, typedoc.json): typedoc converts the package's public entry
 * points, as package.json `exports` lists them, with warnings treated as errors. The test converts
 * once in memory (nothing is written into the repository) and checks what a reader of the
 * reference depends on: every entry point is a module, the root's components come with their args
 * interfaces, and doc comments come through.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Application, DeclarationReflection, LogLevel, ReferenceReflection, ReflectionKind, TSConfigReader, TypeDocReader, type ProjectReflection } from "typedoc";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../harness.js";

const typedocJson = JSON.parse(readFileSync(join(repoRoot, "typedoc.json"), "utf8")) as { entryPoints: string[]; tsconfig: string; out: string; treatWarningsAsErrors?: boolean; treatValidationWarningsAsErrors?: boolean };
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string>; exports: Record<string, string | { types?: string }> };

/** `./dist/src/plan/index.d.ts` → `src/plan/index.ts`: the source behind each typed export. */
const exportedSources = Object.values(pkg.exports)
  .flatMap((e) => (typeof e === "object" && e.types ? [e.types] : []))
  .map((types) => types.replace(/^\.\/dist\//, "").replace(/\.d\.ts$/, ".ts"));

let project: ProjectReflection | undefined;
const messages: { level: string; text: string }[] = [];

beforeAll(async () => {
  const app = await Application.bootstrapWithPlugins({ options: join(repoRoot, "typedoc.json"), logLevel: LogLevel.Warn }, [new TypeDocReader(), new TSConfigReader()]);
  app.logger.log = (message: string, level: LogLevel) => {
    if (level >= LogLevel.Warn) messages.push({ level: LogLevel[level] ?? String(level), text: message });
  };
  project = await app.convert();
  if (project) app.validate(project);
}, 120_000);

describe("API reference (typedoc)", () => {
  it("typedoc.json documents exactly the package's typed exports, from tsconfig.build.json, strictly", () => {
    expect(exportedSources.length).toBe(8);
    expect([...typedocJson.entryPoints].sort()).toEqual([...exportedSources].sort());
    expect(typedocJson.tsconfig).toBe("tsconfig.build.json");
    expect(typedocJson.treatWarningsAsErrors).toBe(true);
    expect(typedocJson.treatValidationWarningsAsErrors).toBe(true);
    expect(pkg.scripts["docs"]).toBe("typedoc");
    expect(typedocJson.out).toBe("docs/api");
    expect(readFileSync(join(repoRoot, ".gitignore"), "utf8").split("\n")).toContain("docs/api/");
  });

  it("converts with no warnings or errors (broken {@link}, unexported types on the public surface)", () => {
    expect(project).toBeDefined();
    expect(messages).toEqual([]);
  });

  it("every entry point is a module of the reference", () => {
    const modules = project!.getChildrenByKind(ReflectionKind.Module).map((m) => m.name).sort();
    expect(modules).toEqual(["components", "index", "plan", "program", "render", "review", "testing", "testing/vitest"].sort());
  });

  it("the root's component classes appear with their args interfaces", () => {
    const root = project!.getChildByName("index")!;
    for (const name of ["Environment", "Service", "Cluster", "Database", "Network", "Project", "Bucket", "Secret"]) {
      const cls = root.getChildByName(name);
      expect(cls?.kind, name).toBe(ReflectionKind.Class);
      expect(root.getChildByName(`${name}Args`)?.kind, `${name}Args`).toBe(ReflectionKind.Interface);
    }
  });

  it("doc comments come through as summaries", () => {
    const summary = (module: string, name: string) =>
      (project!.getChildByName(module)?.getChildByName(name)?.comment?.summary ?? []).map((part) => part.text).join("");
    expect(summary("index", "Environment")).toMatch(/^`brume:environment:Environment` — the infrastructure of one environment/);
    expect(summary("index", "Service")).toMatch(/^`brume:service:Service` — one service of brume.yaml as a production-grade GKE workload/);
    expect(summary("index", "Naming")).toMatch(/^A naming scope: `<project>-<environment>` prefixed physical names/);
    expect(summary("plan", "PlanMocks")).toBe("Deterministic mocks for the GCP and Kubernetes providers.");
  });

  it("every component class (extends ComponentResource) of `components` and `index` has a summary", () => {
    // `components` re-exports most of the root's classes: typedoc lists those as references to them.
    const componentClasses = (module: string) =>
      (project!.getChildByName(module) as DeclarationReflection).children!
        .map((child) => (child instanceof ReferenceReflection ? child.getTargetReflectionDeep() : child))
        .filter((cls): cls is DeclarationReflection => cls instanceof DeclarationReflection && cls.kind === ReflectionKind.Class)
        .filter((cls) => (cls.extendedTypes ?? []).some((t) => t.toString() === "ComponentResource"));
    for (const module of ["components", "index"]) {
      const classes = componentClasses(module);
      expect(classes.length, module).toBeGreaterThanOrEqual(23);
      const lacking = classes.filter((cls) => (cls.comment?.summary ?? []).map((part) => part.text).join("").trim() === "").map((cls) => cls.name);
      expect(lacking, module).toEqual([]);
    }
  });

  it("the list of public-surface types left unexported only shrinks (typedoc warns on a stale entry)", () => {
    const notExported = (JSON.parse(readFileSync(join(repoRoot, "typedoc.json"), "utf8")) as { intentionallyNotExported: string[] }).intentionallyNotExported;
    expect(notExported.length).toBeLessThanOrEqual(67);
    expect(notExported).toEqual([...notExported].sort());
  });
});
