// Everything `npm start`, `npm test`, `npm run token` and the rest need, installed on first run, then the command
// itself run on Node 24. This file runs before anything is installed, on whatever Node (20+) ran npm:
// it may use only what Node 20 ships.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'node_modules', '.bin');
const say = (text) => process.stderr.write(`[bootstrap] ${text}\n`);

const commands = {
  start: { redis: !process.env.REDIS_URL, steps: [['platform/main.ts']] },
  // The suite starts its own private redis-server, whatever REDIS_URL says.
  test: { redis: true, chromium: true, steps: [[join(bin, 'tsc'), '--noEmit', '-p', '.'], [join(bin, 'vitest'), 'run']] },
  token: { redis: false, steps: [['scripts/token.ts']] },
  keys: { redis: false, steps: [['scripts/keys.ts']] },
  'audit:verify': { redis: false, steps: [['scripts/audit-verify.ts']] },
  'slack:manifest': { redis: false, steps: [['scripts/slack-manifest.ts']] },
  'soak:ws': { redis: true, steps: [['scripts/ws-soak.ts']] },
  // The benchmark's peer gateway lives in bench/'s own package, not among the platform's dependencies.
  bench: { redis: true, packages: ['bench'], steps: [['bench/run.ts']] },
  'bench:profile': { redis: true, steps: [['bench/profile.ts']] },
  chaos: { redis: true, steps: [['scripts/chaos.ts']] },
};

const [name = 'start', ...args] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  say(`unknown command "${name}"; expected one of ${Object.keys(commands).join(', ')}.`);
  process.exit(2);
}
if (Number(process.versions.node.split('.')[0]) < 20) {
  say(`Node ${process.versions.node} is too old to bootstrap; install Node 20 or newer and run this again.`);
  process.exit(1);
}

ensureDependencies(root);
const node = ensureNode();
for (const folder of command.packages ?? []) ensureDependencies(join(root, folder));
if (command.redis) ensureRedis(name);
if (command.chromium) ensureChromium();

const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
let code = 0;
for (const [index, step] of command.steps.entries()) {
  const isLast = index === command.steps.length - 1;
  code = await run(node, isLast ? [...step, ...args] : step, env);
  if (code !== 0) break;
}
process.exit(code);

/** npm dependencies of the package in `dir`, reinstalled whenever its package.json or lockfile changed. */
function ensureDependencies(dir) {
  const lock = join(dir, 'package-lock.json');
  const stampFile = join(dir, 'node_modules', '.bootstrap-stamp');
  const hash = createHash('sha256').update(readFileSync(join(dir, 'package.json')));
  if (existsSync(lock)) hash.update(readFileSync(lock));
  const stamp = hash.digest('hex');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;

  const npmArgs = existsSync(lock) ? ['ci', '--no-audit', '--no-fund', '--loglevel=error'] : ['install', '--no-audit', '--no-fund', '--loglevel=error'];
  say(dir === root ? `installing npm dependencies (npm ${npmArgs[0]}), including Node 24 from the npm registry...` : `installing the npm dependencies of ${dir.slice(root.length)} (npm ${npmArgs[0]})...`);
  // npm_execpath is the npm that is running us; reusing it avoids picking up another npm from PATH.
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, ...npmArgs], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] })
    : spawnSync('npm', npmArgs, { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
  if (result.status !== 0) {
    say('npm could not install the dependencies (see its output above). Check that the npm registry is reachable.');
    process.exit(1);
  }
  writeFileSync(stampFile, stamp);
}

/** Node 24 comes from the `node` npm package, a dev dependency; everything after bootstrap runs on it. */
function ensureNode() {
  const node = join(bin, 'node');
  const version = existsSync(node) ? spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim() : undefined;
  const major = Number(version?.replace(/^v/, '').split('.')[0]);
  if (!(major >= 24)) {
    say(
      `Node 24 is missing from node_modules/.bin (found ${version ?? 'nothing'}). It is installed by the "node" dev ` +
        'dependency, whose install script must run: do not install with --omit=dev or --ignore-scripts. ' +
        'Delete node_modules and run this command again.',
    );
    process.exit(1);
  }
  return node;
}

/** A redis-server binary: the platform runs its own private instance when REDIS_URL is unset. */
function ensureRedis(name) {
  if (has('redis-server') || aptInstall('redis-server')) return;
  const alternative =
    name === 'test'
      ? 'The test suite starts its own private redis-server, so it needs the binary even when REDIS_URL is set.'
      : 'Or point the platform at a Redis you already run: REDIS_URL=redis://host:6379 npm start';
  process.stderr.write(
    '\nThe platform needs Redis for its queues, and no redis-server was found on PATH. Install it and run this ' +
      'again; the platform starts and stops its own private instance under DATA_DIR:\n' +
      '  Debian/Ubuntu:  sudo apt-get install redis-server\n' +
      '  Fedora/RHEL:    sudo dnf install redis\n' +
      '  macOS:          brew install redis\n' +
      `${alternative}\n\n`,
  );
  process.exit(1);
}

/**
 * The headless browser the web chat page's end-to-end test drives (test/web-chat.e2e.test.ts). Without
 * one the suite still runs, and that test fails saying how to get one.
 */
function ensureChromium() {
  if (process.env.CHROMIUM_PATH || ['chromium', 'chromium-browser', 'google-chrome'].some(has) || aptInstall('chromium')) return;
  say('no Chromium found and apt-get could not install it: the web chat test will fail. Install Chromium, or set CHROMIUM_PATH to a Chromium or Chrome binary.');
}

/** Installs a Debian package when this user may (root, or password-less sudo); true if its program is then on PATH. */
function aptInstall(pkg, program = pkg) {
  const root = process.getuid?.() === 0;
  const sudo = !root && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!has('apt-get') || !(root || sudo)) return false;
  say(`${program} not found; installing the ${pkg} package with apt-get (one time)...`);
  const prefix = root ? [] : ['sudo', '-n'];
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const aptArgs of [['update', '-qq'], ['install', '-y', '-qq', pkg]]) {
    const [cmd, ...rest] = [...prefix, 'apt-get', ...aptArgs];
    const result = spawnSync(cmd, rest, { env: aptEnv, encoding: 'utf8' });
    if (result.status !== 0) {
      say(`apt-get ${aptArgs.join(' ')} failed:\n${(result.stderr || result.stdout || '').trim()}`);
      return false;
    }
  }
  return has(program);
}

function has(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** Runs one step in the foreground, passing on the signals that stop it, and resolves with its exit code. */
function run(node, step, env) {
  return new Promise((resolve) => {
    const [first, ...rest] = step;
    // Scripts of ours run on Node 24; tool shims (tsc, vitest) are node scripts too, run on the same Node.
    const child = spawn(node, [first, ...rest], { cwd: root, env, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const signal of signals) process.on(signal, forward);
    child.on('exit', (status, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(status ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
    });
  });
}
