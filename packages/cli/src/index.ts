export { main } from './main';
export { createProgram } from './program';
export { CliError } from './errors';
export { CliExitCode, type CliExitCodeName } from './exit-codes';
export { VERSION } from './version';
