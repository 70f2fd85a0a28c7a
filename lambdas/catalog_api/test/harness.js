'use strict';
/**
 * Real servers for the tests and the bench: a throw-away PostgreSQL cluster (initdb + pg_ctl
 * from PG_BIN, default the newest /usr/lib/postgresql/N/bin) and moto's DynamoDB server, both on free
 * 127.0.0.1 ports in a temp dir, both stopped by the returned stop(). As root (tests and CI run
 * as root) PostgreSQL runs as the `postgres` user, because initdb refuses to run as root.
 */
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function findPgBin() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  // Debian's layout; .ci/run installs whichever major the distribution ships (15 here).
  const base = '/usr/lib/postgresql';
  const majors = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  if (!majors.length) throw new Error('no PostgreSQL server found: install Debian\'s postgresql package or set PG_BIN to the directory holding initdb and pg_ctl');
  return path.join(base, majors[0], 'bin');
}

const PG_BIN = findPgBin();
const PASSWORD = 'catalog-test-password';

// Servers still running when the process ends (a crash, a timeout's SIGTERM, Ctrl-C) are
// stopped on the way out, so no PostgreSQL or moto outlives its test run.
const running = new Set();
process.on('exit', () => {
  for (const stop of running) {
    try {
      stop();
    } catch {
      // best effort on the way out
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function asPostgres(args) {
  // runuser keeps root's environment out; `postgres` must own the data dir.
  if (process.getuid && process.getuid() === 0) return ['runuser', ['-u', 'postgres', '--', ...args]];
  return [args[0], args.slice(1)];
}

function run(args, options = {}) {
  const [cmd, argv] = asPostgres(args);
  const out = spawnSync(cmd, argv, { encoding: 'utf8', ...options });
  if (out.status !== 0) throw new Error(`${args.join(' ')} failed (${out.status}): ${out.stderr || out.stdout}`);
  return out.stdout;
}

async function startPostgres({ settings = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-pg-'));
  if (process.getuid && process.getuid() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  fs.chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, PASSWORD);
  if (process.getuid && process.getuid() === 0) execFileSync('chown', ['postgres:postgres', pwfile]);
  run([path.join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const port = await freePort();
  const opts = { listen_addresses: '127.0.0.1', port, unix_socket_directories: dir, max_connections: 300, fsync: 'on', ...settings };
  const o = Object.entries(opts).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  run([path.join(PG_BIN, 'pg_ctl'), '-D', data, '-l', path.join(dir, 'log'), '-o', o, '-w', '-t', '60', 'start']);
  const url = `postgres://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  const handle = {
    url,
    port,
    dir,
    stop() {
      if (stopped) return;
      stopped = true;
      running.delete(handle.stop);
      try {
        run([path.join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    /** For the outage tests: stop / start the same cluster. */
    halt() {
      run([path.join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    resume() {
      run([path.join(PG_BIN, 'pg_ctl'), '-D', data, '-l', path.join(dir, 'log'), '-o', o, '-w', '-t', '60', 'start']);
    },
  };
  running.add(handle.stop);
  return handle;
}

async function waitHttp(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${url} answered`);
    try {
      await fetch(url);
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer in ${timeoutMs} ms: ${last}`);
}

/** moto's server: MOTO_SERVER names the executable (the nox tests venv's bin/moto_server). */
async function startMoto() {
  const exe = process.env.MOTO_SERVER || 'moto_server';
  const port = await freePort();
  const child = spawn(exe, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const failed = new Promise((_, reject) => child.on('error', (err) => reject(new Error(`cannot start ${exe} (set MOTO_SERVER): ${err.message}`))));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([waitHttp(`${url}/moto-api/`, 30000, child), failed]).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${stderr.slice(-2000)}`);
  });
  const stop = () => {
    running.delete(stop);
    child.kill('SIGTERM');
  };
  running.add(stop);
  return { url, stop };
}

/** The service's environment for a database URL and a moto URL. */
function serviceEnv(pg, moto, extra = {}) {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: pg.url,
    AWS_ENDPOINT_URL: moto ? moto.url : 'http://127.0.0.1:9',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    SESSIONS_TABLE: 'sessions-test',
    CACHE_TABLE: 'cache-test',
    CACHE_TTL_SECONDS: '0',
    METRICS: 'off',
    ...extra,
  };
}

const ROOT = path.join(__dirname, '..');

/** `npm run migrate` as a child process (the documented local contract). */
function npmMigrate(env) {
  const out = spawnSync('node', [path.join(ROOT, 'src', 'migrate-cli.js')], { cwd: ROOT, env, encoding: 'utf8' });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** `npm start` as a child process on a free port; resolves once /health answers. */
async function startService(env) {
  const port = await freePort();
  const child = spawn('node', [path.join(ROOT, 'src', 'server.js')], { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => {
    logs.stdout += d;
  });
  child.stderr.on('data', (d) => {
    logs.stderr += d;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${url}/health`, 20000, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${logs.stderr}`);
  }
  const kill = () => child.kill('SIGKILL');
  running.add(kill);
  child.on('exit', () => running.delete(kill));
  return {
    url,
    logs,
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}

module.exports = { startPostgres, startMoto, serviceEnv, npmMigrate, startService, freePort, PASSWORD };
