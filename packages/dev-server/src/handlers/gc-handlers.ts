// `pollinatorgcmsg`: the dev-server's own garbage collection (docs/runs.md
// "Garbage collection"), not a Colonies message. Only the server owner or the
// colony's owner may ask: it removes processes, logs, snapshots and file
// revisions of the colony, and blobs of the server's blob directory.
import { DEFAULT_GC_GRACE_SECONDS, runGarbageCollection } from '../gc-run';
import { bool, boundedInt, type JsonObject, str } from '../json-reader';
import { type Call, type HandlerContext, type HandlerTable, ok, type RpcReply } from '../rpc-reply';

/** Ten years: anything longer keeps everything anyway. */
const MAX_KEEP_DAYS = 3650;
const MAX_KEEP_LAST = 1_000_000;
const MAX_GRACE_SECONDS = MAX_KEEP_DAYS * 86_400;

function optionalInt(msg: JsonObject, key: string, fallback: number, max: number): number {
  return msg[key] === undefined || msg[key] === null ? fallback : boundedInt(msg, key, 0, max);
}

function collectGarbage({ authorization, statements, clock, settings, transaction }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyName = str(msg, 'colonyname');
  authorization.requireServerOrColonyOwner(signer, colonyName);
  const report = runGarbageCollection(statements, transaction, {
    colonyName,
    dryRun: bool(msg, 'dryrun'),
    keepLast: boundedInt(msg, 'keeplast', 0, MAX_KEEP_LAST),
    keepDays: boundedInt(msg, 'keepdays', 0, MAX_KEEP_DAYS),
    graceSeconds: optionalInt(msg, 'graceseconds', DEFAULT_GC_GRACE_SECONDS, MAX_GRACE_SECONDS),
    now: clock.now(),
    blobDir: settings.blobDir,
  });
  return ok('pollinatorgcmsg', report);
}

export const gcHandlers: HandlerTable = {
  pollinatorgcmsg: collectGarbage,
};
