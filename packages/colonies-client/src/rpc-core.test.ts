import { readdirSync, readFileSync } from 'node:fs';
import { generatePrivateKey, idOf, recoverId } from '@pollinator/crypto';
import { describe, expect, it } from 'vitest';
import { createClientConfig } from './client-options';
import { ColoniesArgumentError } from './errors';
import { createRpcCore } from './rpc-core';

const config = createClientConfig({ url: 'http://127.0.0.1:9', colonyName: 'dev', retry: false });

describe('RpcCore', () => {
  it('signs as its own identity, with the key parsed once per core', () => {
    const privateKey = generatePrivateKey();
    const envelope = createRpcCore(config, privateKey).signEnvelope('getprocessmsg', { processid: 'p' });
    expect(envelope.payloadtype).toBe('getprocessmsg');
    expect(recoverId(envelope.payload, envelope.signature)).toBe(idOf(privateKey));
    const other = generatePrivateKey();
    expect(recoverId(envelope.payload, createRpcCore(config, other).signEnvelope('getprocessmsg', { processid: 'p' }).signature)).toBe(idOf(other));
  });

  it('leaves the unsigned messages unsigned and refuses a signed one without a key', () => {
    const core = createRpcCore(config, undefined);
    expect(core.signEnvelope('versionmsg', {}).signature).toBe('');
    expect(() => core.signEnvelope('getprocessmsg', {})).toThrow(ColoniesArgumentError);
  });

  it('resolves the colony: the argument, else the configured default, else an argument error', () => {
    expect(createRpcCore(config, undefined).colony('other')).toBe('other');
    expect(createRpcCore(config, undefined).colony(undefined)).toBe('dev');
    const withoutColony = createClientConfig({ url: 'http://127.0.0.1:9' });
    expect(() => createRpcCore(withoutColony, undefined).colony(undefined)).toThrow(ColoniesArgumentError);
  });
});

describe('module structure', () => {
  const sourceDirectory = new URL('./', import.meta.url);
  const modules = readdirSync(sourceDirectory).filter((name) => name.endsWith('.ts') && !name.includes('.test'));
  const importsOf = (name: string): string[] =>
    [...readFileSync(new URL(name, sourceDirectory), 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'\.\/([^']+)'/gms)].map(
      (match) => `${match[1]!.replace(/\.ts$/, '')}.ts`,
    );

  it('has no import cycle (pubsub and log following take an RpcCore, not the client)', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (name: string, trail: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(name)), name].join(' → '));
        return;
      }
      state.set(name, 'visiting');
      for (const dependency of importsOf(name)) visit(dependency, [...trail, name]);
      state.set(name, 'done');
    };
    for (const name of modules) visit(name, []);
    expect(cycles).toEqual([]);
    expect(importsOf('pubsub.ts')).not.toContain('client.ts');
    expect(importsOf('follow-logs.ts')).not.toContain('client.ts');
  });

  it('keeps every source file under 500 lines', () => {
    const long = modules.filter((name) => readFileSync(new URL(name, sourceDirectory), 'utf8').split('\n').length > 500);
    expect(long).toEqual([]);
  });
});
