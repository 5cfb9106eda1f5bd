import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { projectJsonSchemaText } from './json-schema';
import { ProjectFilesExistError } from './project-files-exist-error';
import { PROJECT_NAME_PATTERN } from './project-schema';

export interface ScaffoldOptions {
  /** `projectname`; default a random 64-hex name, as the original `pollinator new`. */
  projectName?: string;
  /** Container image; default `python:3.12-rc-bookworm` (the original default). */
  docker?: string;
  /** `conditions.executorNames`; default none (any executor). */
  executorNames?: string[];
}

/**
 * Where a new project keeps the JSON Schema of project.yaml, relative to the
 * project directory. The first line of project.yaml points editors at it
 * (the `yaml-language-server` modeline, whose relative paths are relative to
 * the YAML file), so completion and checks work offline and match the
 * version of Pollinator that created the project.
 */
export const PROJECT_SCHEMA_PATH = '.pollinator/project.schema.json';

/** A new random project name (64 hex characters), like the original Pollinator. */
export function randomProjectName(): string {
  return randomBytes(32).toString('hex');
}

/** The commented project.yaml `pollinator new` writes. */
export function projectYamlTemplate(options: ScaffoldOptions = {}): string {
  const projectName = options.projectName ?? randomProjectName();
  if (!PROJECT_NAME_PATTERN.test(projectName)) {
    throw new TypeError(`invalid project name ${JSON.stringify(projectName)}: use letters, digits, ".", "_" and "-"`);
  }
  const docker = options.docker ?? 'python:3.12-rc-bookworm';
  const executorNames =
    options.executorNames === undefined || options.executorNames.length === 0
      ? '[]'
      : `[${options.executorNames.map((name) => JSON.stringify(name)).join(', ')}]`;
  return `# yaml-language-server: $schema=./${PROJECT_SCHEMA_PATH}
# Pollinator project. Reference: docs/project-yaml.md in the Pollinator repository.
# The line above gives editors with YAML support (VS Code's YAML extension, Neovim's
# yamlls, …) completion and checks from the schema in ${PROJECT_SCHEMA_PATH}.

# Name of the project. Files are kept in CFS under /pollinator/<projectname>/.
projectname: ${projectName}

# Where the job runs and what it gets.
conditions:
  # Executors allowed to run the job; [] means any executor in the colony.
  executorNames: ${executorNames}
  # Nodes (1-127) and processes per node (1-127). The command runs once per process.
  nodes: 1
  processesPerNode: 1
  # CPU per process in millicores ("1000m" = one core; Slurm rounds up to whole cores).
  cpu: 1000m
  # Memory: an integer with Mi or Gi. Per node on Slurm, per container on Kubernetes.
  mem: 1000Mi
  # Wall-clock limit in seconds.
  walltime: 600
  # GPUs per node, and (Kubernetes) the GPU model to select nodes by.
  gpu:
    count: 0
    name: ""

# What runs: ${'`'}<init-cmd>; <cmd> $PROJECT_DIR/<snapshot>/src/<source>${'`'} in the image.
environment:
  docker: ${docker}
  rebuildImage: false
  # Runs before cmd, in the image (e.g. "pip3 install numpy"). Empty: nothing.
  # On the embedded default without containers it runs on your machine.
  init-cmd: ""
  cmd: python3
  source: main.py
  # Extra environment variables for the job (PROJECT_DIR is always set).
  # env:
  #   OMP_NUM_THREADS: 4

# Optional, for Slurm executors (defaults come from the executor):
# slurm:
#   account: my-account
#   partition: gpu
#   qos: normal

# How many more attempts a failed run gets (default 3), and after which causes: by default a node
# failure or a preemption; opt in to out-of-memory, time-limit or any-failure. retryGrowth gives each
# retry more memory (after out-of-memory) or time (after time-limit). docs/project-yaml.md has the details.
# retries: 3
# retryOn: [node-failure, preempted]
# retryGrowth: { memoryFactor: 1.5 }

# When to download cfs/result after a run: always (default), on-success, never.
# result:
#   download: always
`;
}

const MAIN_PY = `"""Pollinator example job.

Reads $PROJECT_DIR/data/hello.txt (uploaded from cfs/data) and writes
$PROJECT_DIR/result/result.txt (downloaded into cfs/result after the run).
"""
import os
import socket

project_dir = os.environ["PROJECT_DIR"]
process_id = os.environ.get("COLONIES_PROCESS_ID", "")

print("hostname:", socket.gethostname())
print("process id:", process_id)

with open(os.path.join(project_dir, "data", "hello.txt")) as data_file:
    contents = data_file.read()
print(contents)

result_dir = os.path.join(project_dir, "result")
os.makedirs(result_dir, exist_ok=True)
with open(os.path.join(result_dir, "result.txt"), "w") as result_file:
    result_file.write(contents.upper())
print("wrote", os.path.join(result_dir, "result.txt"))
`;

const HELLO_TXT = 'Hello world!\n';

/** The files of a new project, by path relative to the project directory. */
export function projectFiles(options: ScaffoldOptions = {}): Record<string, string> {
  return {
    'project.yaml': projectYamlTemplate(options),
    'cfs/src/main.py': MAIN_PY,
    'cfs/data/hello.txt': HELLO_TXT,
    [PROJECT_SCHEMA_PATH]: projectJsonSchemaText(),
  };
}

/**
 * Create a new project in `dir` (created if needed): project.yaml,
 * cfs/src/main.py, cfs/data/hello.txt, the schema of project.yaml for editors
 * (`PROJECT_SCHEMA_PATH`) and an empty cfs/result. Refuses to
 * overwrite: if any of the files exists nothing is written. Returns the
 * relative paths written.
 */
export async function scaffoldProject(dir: string, options: ScaffoldOptions = {}): Promise<string[]> {
  const files = projectFiles(options);
  const existing: string[] = [];
  for (const path of Object.keys(files)) {
    const exists = await stat(join(dir, path)).then(
      () => true,
      () => false,
    );
    if (exists) existing.push(path);
  }
  if (existing.length > 0) {
    throw new ProjectFilesExistError(dir, existing);
  }
  for (const [path, contents] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), contents, { flag: 'wx' });
  }
  await mkdir(join(dir, 'cfs', 'result'), { recursive: true });
  return Object.keys(files);
}
