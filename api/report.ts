/**
 * The API report: every entry point of the package (package.json `exports`), its exported names and
 * their declaration signatures, from the TypeScript compiler API (api-extractor reports one entry point
 * per run and needs a build; this reads the sources). One file per entry: api/<entry>.api.md.
 *
 *   npm run api            # rewrite the reports after an intended change of the public surface
 *   test/house/api-report.test.ts fails when a report differs from the sources, naming this command.
 */
import ts from "typescript";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Entry name (the subpath, "." for the root) → its source file, from package.json's exports. */
export function entryPoints(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { exports: Record<string, string | Record<string, string>> };
  const entries: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === "string" ? target : target.types;
    if (!file?.endsWith(".d.ts")) continue;
    entries[subpath] = join(repoRoot, file.replace(/^\.\/dist\//, "").replace(/\.d\.ts$/, ".ts"));
  }
  return entries;
}

/** The report's file for an entry: "." → api/index.api.md, "./plan" → api/plan.api.md. */
export function reportFile(subpath: string): string {
  return join(repoRoot, "api", `${subpath === "." ? "index" : subpath.replace(/^\.\//, "").replaceAll("/", "-")}.api.md`);
}

const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseFullyQualifiedType | ts.TypeFormatFlags.WriteArrowStyleSignature;
/** Longer signatures (zod schemas expand to pages) are cut and fingerprinted, so they still change the report. */
const maxSignature = 400;

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").replaceAll(`"${repoRoot}/`, '"');
  if (flat.length <= maxSignature) return flat;
  let hash = 0;
  for (let i = 0; i < flat.length; i++) hash = (Math.imul(hash, 31) + flat.charCodeAt(i)) | 0;
  return `${flat.slice(0, maxSignature)}… (${flat.length} chars, #${(hash >>> 0).toString(16).padStart(8, "0")})`;
}

function describe(checker: ts.TypeChecker, name: string, symbol: ts.Symbol, at: ts.Node): string[] {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const decl = target.declarations?.[0];
  const lines: string[] = [];
  const where = decl ? relative(repoRoot, decl.getSourceFile().fileName) : "?";
  if (target.flags & ts.SymbolFlags.Class) {
    const type = checker.getTypeOfSymbolAtLocation(target, at);
    const ctor = type.getConstructSignatures().map((s) => checker.signatureToString(s, at, flags));
    lines.push(`class ${name} — ${where}`);
    for (const c of ctor) lines.push(`  new ${shorten(c)}`);
    const instance = checker.getDeclaredTypeOfSymbol(target);
    for (const p of checker.getPropertiesOfType(instance)) {
      const d = p.valueDeclaration ?? p.declarations?.[0];
      const mods = d ? ts.getCombinedModifierFlags(d as ts.Declaration) : 0;
      if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || p.name.startsWith("#") || p.name.startsWith("__")) continue;
      // Members every Pulumi resource has are not ours to report.
      if (d && /node_modules/.test(d.getSourceFile().fileName)) continue;
      lines.push(`  ${mods & ts.ModifierFlags.Readonly ? "readonly " : ""}${p.name}: ${shorten(checker.typeToString(checker.getTypeOfSymbolAtLocation(p, at), at, flags))}`);
    }
    for (const p of checker.getPropertiesOfType(type)) {
      const d = p.valueDeclaration;
      if (!d || /node_modules/.test(d.getSourceFile().fileName) || p.name === "prototype") continue;
      lines.push(`  static ${p.name}: ${shorten(checker.typeToString(checker.getTypeOfSymbolAtLocation(p, at), at, flags))}`);
    }
    return lines;
  }
  if (target.flags & ts.SymbolFlags.Function) {
    const type = checker.getTypeOfSymbolAtLocation(target, at);
    for (const s of type.getCallSignatures()) lines.push(`function ${name}${shorten(checker.signatureToString(s, at, flags))} — ${where}`);
    return lines;
  }
  if (target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
    const type = checker.getDeclaredTypeOfSymbol(target);
    const kind = target.flags & ts.SymbolFlags.Interface ? "interface" : "type";
    if (kind === "interface") {
      lines.push(`interface ${name} — ${where}`);
      for (const p of checker.getPropertiesOfType(type)) {
        const optional = p.flags & ts.SymbolFlags.Optional ? "?" : "";
        lines.push(`  ${p.name}${optional}: ${shorten(checker.typeToString(checker.getTypeOfSymbolAtLocation(p, at), at, flags))}`);
      }
    } else {
      lines.push(`type ${name} = ${shorten(checker.typeToString(type, at, flags | ts.TypeFormatFlags.InTypeAlias))} — ${where}`);
    }
    if (!(target.flags & ts.SymbolFlags.Value)) return lines;
  }
  if (target.flags & ts.SymbolFlags.ValueModule && !(target.flags & ts.SymbolFlags.Variable)) {
    lines.push(`namespace ${name} — ${where}`);
    for (const member of checker.getExportsOfModule(target).sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(...describe(checker, member.name, member, at).map((l) => `  ${l}`));
    }
    return lines;
  }
  if (target.flags & (ts.SymbolFlags.Variable | ts.SymbolFlags.Enum)) {
    lines.push(`const ${name}: ${shorten(checker.typeToString(checker.getTypeOfSymbolAtLocation(target, at), at, flags))} — ${where}`);
  }
  return lines;
}

/** Every entry's report text. */
export function apiReports(): Record<string, string> {
  const entries = entryPoints();
  const config = ts.getParsedCommandLineOfConfigFile(join(repoRoot, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const program = ts.createProgram(Object.values(entries), { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const reports: Record<string, string> = {};
  for (const [subpath, file] of Object.entries(entries)) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`entry ${subpath}: ${file} not found`);
    const module = checker.getSymbolAtLocation(source);
    const exported = module ? checker.getExportsOfModule(module) : [];
    const body = exported
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((symbol) => describe(checker, symbol.name, symbol, source));
    const name = subpath === "." ? "@brume/infra" : `@brume/infra/${subpath.replace(/^\.\//, "")}`;
    reports[subpath] =
      `# API report: \`${name}\`\n\n` +
      `Generated by \`npm run api\` from ${relative(repoRoot, file)} (${exported.length} exported names). Do not edit by hand:\n` +
      `a change here is a change of the package's public surface — say it in CHANGELOG.md.\n\n` +
      "```ts\n" + body.join("\n") + "\n```\n";
  }
  return reports;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [subpath, text] of Object.entries(apiReports())) {
    writeFileSync(reportFile(subpath), text);
    console.log(`${relative(repoRoot, reportFile(subpath))}: ${text.split("\n").length} lines`);
  }
}
