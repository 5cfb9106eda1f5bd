/**
 * Entry point of the job supervisor: `node main.js <work-dir>/job.json`. The
 * local backend starts it as a detached process (see supervisor-command.ts);
 * everything it does is in supervise-job.ts.
 */
import { superviseJob } from './supervise-job';

const configPath = process.argv[2];
if (configPath === undefined || configPath === '') {
  process.stderr.write('usage: supervisor <work-dir>/job.json\n');
  process.exit(2);
}
superviseJob(configPath);
