#!/usr/bin/env node
// The public API of every publishable package, as committed text under api/:
// one file per package listing each export entry's names with their types.
// A change to a public API is then a visible diff in review, and CI fails
// when the committed report is out of date.
//
//   node scripts/api-report.mjs           write api/*.api.md
//   node scripts/api-report.mjs --check   exit 1 when a report differs
//
// It reads the TypeScript sources through the `@pollinator/source` export
// condition with the compiler API (one program for all packages: seconds, no
// build), so it works on a fresh clone before anything is built.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reportDir = join(root, 'api');
const check = process.argv.includes('--check');

/** Every publishable package's export entries that have TypeScript sources. */
function entries() {
  const found = [];
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const manifestPath = join(root, 'packages', name, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private) continue;
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const source = typeof target === 'object' && target !== null ? target['@pollinator/source'] : undefined;
      if (typeof source !== 'string' || !source.endsWith('.ts')) continue;
      found.push({ dir: name, packageName: manifest.name, subpath, file: resolve(root, 'packages', name, source) });
    }
  }
  return found;
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
const typeFlags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

function printDeclaration(node) {
  return printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile()).replace(/^export (default )?/, '').replace(/^declare /, '');
}

function isPublicMember(symbol) {
  const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
  if (!declaration) return true;
  // What a class inherits from the platform (Error's stack, captureStackTrace…) is not its API.
  if ((symbol.declarations ?? []).every((each) => each.getSourceFile().fileName.includes('/node_modules/'))) return false;
  if (symbol.name.startsWith('#') || symbol.name.startsWith('__')) return false;
  const modifiers = ts.canHaveModifiers(declaration) ? (ts.getModifiers(declaration) ?? []) : [];
  return !modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.PrivateKeyword || modifier.kind === ts.SyntaxKind.ProtectedKeyword);
}

function describeClass(checker, name, symbol, declaration) {
  const lines = [`class ${name}${declaration.heritageClauses ? ' ' + declaration.heritageClauses.map((clause) => clause.getText()).join(' ') : ''} {`];
  const staticType = checker.getTypeOfSymbolAtLocation(symbol, declaration);
  for (const member of checker.getPropertiesOfType(staticType).filter(isPublicMember).sort((a, b) => a.name.localeCompare(b.name))) {
    if (member.name === 'prototype') continue;
    lines.push(`  static ${member.name}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(member, declaration), undefined, typeFlags)};`);
  }
  for (const signature of staticType.getConstructSignatures()) {
    lines.push(`  constructor${checker.signatureToString(signature, undefined, typeFlags).replace(/^new /, '').replace(/\): .*$/, ')')};`);
  }
  const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
  for (const member of checker.getPropertiesOfType(instanceType).filter(isPublicMember).sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`  ${member.name}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(member, declaration), undefined, typeFlags)};`);
  }
  lines.push('}');
  return lines.join('\n');
}

function describeExport(checker, exported) {
  const name = exported.name;
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const parts = [];
  for (const declaration of symbol.declarations ?? []) {
    if (ts.isClassDeclaration(declaration)) parts.push(describeClass(checker, name, symbol, declaration));
    else if (ts.isInterfaceDeclaration(declaration) || ts.isTypeAliasDeclaration(declaration) || ts.isEnumDeclaration(declaration)) {
      parts.push(printDeclaration(declaration));
    } else if (ts.isFunctionDeclaration(declaration)) {
      // With overloads, the overload signatures are the API, not the implementation's.
      const overloaded = (symbol.declarations ?? []).some((other) => ts.isFunctionDeclaration(other) && other.body === undefined);
      const signature = checker.getSignatureFromDeclaration(declaration);
      if (signature && (!overloaded || declaration.body === undefined)) {
        parts.push(`function ${name}${checker.signatureToString(signature, undefined, typeFlags)};`);
      }
    } else if (ts.isVariableDeclaration(declaration)) {
      const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
      parts.push(`const ${name}: ${checker.typeToString(type, undefined, typeFlags)};`);
    } else if (ts.isModuleDeclaration(declaration) || ts.isSourceFile(declaration)) {
      parts.push(`namespace ${name}`);
    }
  }
  if (parts.length === 0) parts.push(`${name}: ${checker.typeToString(checker.getTypeOfSymbol(symbol), undefined, typeFlags)};`);
  // A declaration printed under another name (export { a as b }) says so.
  return parts.map((part) => (symbol.name !== name && symbol.name !== 'default' ? `// exported as ${name}\n${part}` : part)).join('\n');
}

function main() {
  const list = entries();
  const config = ts.parseJsonConfigFileContent(JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')), ts.sys, root);
  const program = ts.createProgram({ rootNames: list.map((entry) => entry.file), options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const reports = new Map();
  for (const entry of list) {
    const sourceFile = program.getSourceFile(entry.file);
    const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
    const exports = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
    const body = exports
      .slice()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((exported) => describeExport(checker, exported))
      .join('\n\n');
    const section = `## \`${entry.packageName}${entry.subpath === '.' ? '' : entry.subpath.slice(1)}\`\n\nFrom \`${relative(root, entry.file)}\`.\n\n\`\`\`ts\n${body}\n\`\`\`\n`;
    reports.set(entry.dir, [...(reports.get(entry.dir) ?? []), section]);
  }
  const header = '<!-- Generated by `pnpm api:update` (scripts/api-report.mjs). Do not edit: a change here is a change to the public API. -->\n\n';
  mkdirSync(reportDir, { recursive: true });
  const stale = [];
  for (const [dir, sections] of reports) {
    const file = join(reportDir, `${dir}.api.md`);
    const text = `${header}# API of \`@pollinator/${dir}\`\n\n${sections.join('\n')}`;
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (current === text) continue;
    if (check) stale.push(relative(root, file));
    else writeFileSync(file, text);
  }
  if (check && stale.length > 0) {
    console.error(`The public API changed; the committed reports are out of date:\n  ${stale.join('\n  ')}\nRun \`pnpm api:update\`, review the diff under api/, and commit it.`);
    process.exit(1);
  }
  console.log(check ? `API reports up to date (${reports.size} packages).` : `Wrote ${reports.size} API reports to api/.`);
}

main();
