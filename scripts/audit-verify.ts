// `npm run audit:verify`: walks the audit trail's hash chain and says whether any record was changed,
// removed or reordered. Exit code 0: intact; 1: broken; 2: could not check.
import { verifyAuditChain } from '../core/audit/audit-log.ts';
import { parseConfig } from '../core/config/config.ts';
import { openStore } from '../core/store/open-store.ts';

const config = parseConfig(process.env);
if (!config.ok) {
  process.stderr.write(`Invalid configuration:\n${config.problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(2);
}
const { dataDir, mongodbUrl, requestLogTtlDays } = config.config;
let store;
try {
  store = await openStore({ dataDir, mongodbUrl, requestLogTtlDays });
  const report = await verifyAuditChain(store);
  const where = mongodbUrl ? 'the MongoDB store' : `${dataDir}/gateway.db`;
  if (report.break) {
    process.stdout.write(`BROKEN: the audit chain in ${where} breaks at record ${report.break.seq} (${report.break.id}): ${report.break.problem}.\n`);
    process.stdout.write(`${report.records} records before it are intact.\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`OK: ${report.records} audit records in ${where}, chained without a break.\n`);
    if (report.headHash) process.stdout.write(`Head hash: ${report.headHash} (keep a copy elsewhere: a later truncation then shows too).\n`);
  }
} catch (error) {
  process.stderr.write(`Could not check the audit chain: ${(error as Error).message}\n`);
  process.exitCode = 2;
} finally {
  await store?.close();
}
