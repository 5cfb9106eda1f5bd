#!/usr/bin/env node
// A stand-in for the `docker` / `podman` client in tests (no engine runs on
// the test machines). It appends its argv as one JSON line to
// `$DOCKER_CONFIG/argv.log` and emulates the few commands the local backend
// uses: `run` executes the command after the image on this machine (bind
// mounts emulated by rewriting the container paths in the arguments and the
// environment), `stop` / `kill` signal that process, `rm` succeeds, and
// `version` / `info` fail as without an engine, `image inspect` answers with
// a digest made from the image name, `container inspect` with loopback as the
// container's address (the job runs on this machine). An image whose name contains
// `no-such-image` fails like a failed pull (exit 125).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const state = process.env.DOCKER_CONFIG ?? '/tmp/fake-docker';
fs.mkdirSync(state, { recursive: true });
const argv = process.argv.slice(2);
fs.appendFileSync(path.join(state, 'argv.log'), JSON.stringify(argv) + '\n');

const command = argv[0];
if (command === 'version' || command === 'info') {
  process.stderr.write('Cannot connect to the Docker daemon (fake docker)\n');
  process.exit(1);
}
if (command === 'rm') process.exit(0);
if (command === 'image' && argv[1] === 'inspect') {
  // As an engine that pulled the image from a registry: its RepoDigests and id (sha256 of the reference, stable per image).
  const image = argv[argv.length - 1];
  if (image.includes('no-such-image')) {
    process.stderr.write(`Error: No such image: ${image}\n`);
    process.exit(1);
  }
  const digest = (salt) => createHash('sha256').update(salt + image).digest('hex');
  process.stdout.write(`${JSON.stringify([`${image.split(':')[0]}@sha256:${digest('repo:')}`])} sha256:${digest('id:')}\n`);
  process.exit(0);
}
if (command === 'container' && argv[1] === 'inspect') {
  // The job runs on this machine, so its "container" is reached where a plain process is.
  const name = argv[argv.length - 1];
  if (!fs.existsSync(path.join(state, `${name}.pid`))) {
    process.stderr.write(`Error: No such container: ${name}\n`);
    process.exit(1);
  }
  // FAKE_DOCKER_NO_ADDRESS: as rootless Podman answers, a container without an address of its own.
  process.stdout.write(process.env.FAKE_DOCKER_NO_ADDRESS ? ' \n' : '127.0.0.1 \n');
  process.exit(0);
}
if (command === 'stop' || command === 'kill') {
  const name = argv[argv.length - 1];
  try {
    const pid = Number(fs.readFileSync(path.join(state, `${name}.pid`), 'utf8'));
    process.kill(-pid, command === 'stop' ? 'SIGTERM' : 'SIGKILL');
  } catch {
    // not running
  }
  process.exit(0);
}
if (command !== 'run') {
  process.stderr.write(`fake docker: unsupported command ${command}\n`);
  process.exit(1);
}

const withValue = new Set(['--name', '--label', '--volume', '-v', '--env', '-e', '--cpus', '--memory', '--gpus', '--entrypoint', '--workdir']);
let index = 1;
const options = {};
const volumes = [];
const envNames = [];
while (index < argv.length && argv[index].startsWith('-')) {
  const flag = argv[index];
  if (withValue.has(flag)) {
    const value = argv[index + 1];
    if (flag === '--volume' || flag === '-v') volumes.push(value);
    else if (flag === '--env' || flag === '-e') envNames.push(value);
    else options[flag] = value;
    index += 2;
  } else {
    index += 1;
  }
}
const image = argv[index];
const rest = argv.slice(index + 1);
if (!image) {
  process.stderr.write('fake docker: no image\n');
  process.exit(125);
}
if (image.includes('no-such-image')) {
  process.stderr.write(`Unable to find image '${image}' locally\n`);
  process.stderr.write(`docker: Error response from daemon: pull access denied for ${image.split(':')[0]}, repository does not exist.\n`);
  process.exit(125);
}
const mounts = volumes.map((volume) => {
  const [hostPath, containerPath] = volume.split(':');
  return { hostPath, containerPath };
});
const rewrite = (text) =>
  mounts.reduce((acc, mount) => acc.split(mount.containerPath + '/').join(mount.hostPath + '/').replace(new RegExp(`${mount.containerPath}$`), mount.hostPath), text);
const env = { PATH: process.env.PATH };
for (const name of envNames) if (process.env[name] !== undefined) env[name] = rewrite(process.env[name]);
const entrypoint = options['--entrypoint'];
const program = entrypoint ?? rest[0];
const args = (entrypoint ? rest : rest.slice(1)).map(rewrite);
const child = spawn(program, args, { stdio: 'inherit', env, detached: true });
if (options['--name']) fs.writeFileSync(path.join(state, `${options['--name']}.pid`), String(child.pid));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => { try { process.kill(-child.pid, signal); } catch { /* gone */ } });
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
