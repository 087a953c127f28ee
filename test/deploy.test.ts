import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configSchema, roleNames } from '../core/config/config.ts';
import { inboundQueueName } from '../queue/names.ts';

// deploy/ is checked against the code's own contracts (config names, roles, port, metric, entry point),
// so a renamed variable or metric fails here rather than in a cluster.

type Obj = Record<string, any>;

const root = join(import.meta.dirname, '..');
const deployDir = join(root, 'deploy');
const k8sDir = join(deployDir, 'kubernetes');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
// configSchema ends in a transform, so the variables are the shape of its input object.
const configNames = new Set(Object.keys(configSchema.in.shape));
const defaultShutdownSeconds = configSchema.in.shape.SHUTDOWN_TIMEOUT_SECONDS.parse(undefined);

const yamlFiles = readdirSync(deployDir, { recursive: true, encoding: 'utf8' }).filter((file) => /\.ya?ml$/.test(file));
// Compose's `<<: *anchor` merge keys are YAML 1.1; `merge` lets the parser resolve them as Compose does.
const parse = (file: string) => parseAllDocuments(readFileSync(join(deployDir, file), 'utf8'), { merge: true });
const load = (file: string): Obj[] => [...parse(file)].map((doc) => doc.toJS() as Obj).filter(Boolean);

const compose = load('compose.yaml')[0]!;
const services = compose.services as Record<string, Obj>;
const manifests = readdirSync(k8sDir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
const objects = manifests.flatMap((file) => load(join('kubernetes', file)).map((object): Obj => ({ ...object, file })));
const ofKind = (kind: string) => objects.filter((object) => object.kind === kind);
const configMap = ofKind('ConfigMap')[0]!.data as Record<string, string>;
const shutdownSeconds = (env: Record<string, string>) => Number(env.SHUTDOWN_TIMEOUT_SECONDS ?? defaultShutdownSeconds);

/** Compose accepts `environment` as a map or as a list of NAME=value. */
const envOf = (service: Obj): Record<string, string> =>
  Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((entry: string) => entry.split(/=(.*)/s).slice(0, 2)))
    : Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value)]));
const podOf = (workload: Obj): Obj => workload.spec.template.spec;
const appContainer = (object: Obj): Obj | undefined => object.spec?.template?.spec?.containers.find((c: Obj) => c.image === 'chat-gateway');
const rolesOf = (value: string | undefined) => (value ?? '').split(',').map((name) => name.trim());
const roleEnv = (container: Obj | undefined): string | undefined => container?.env?.find((e: Obj) => e.name === 'ROLES')?.value;

/** `# NAME=value` lines count too: they name variables users will uncomment. */
const envExample = read('deploy/.env.example').split('\n').flatMap((line) => {
  const match = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
  return match ? [{ name: match[1]!, value: match[2]!, active: !line.startsWith('#') }] : [];
});

function assignments(): { where: string; name: string; value: string }[] {
  const inCompose = Object.entries(services).flatMap(([service, spec]) =>
    Object.entries(envOf(spec)).map(([name, value]) => ({ where: `compose ${service}`, name, value })));
  const inPods = objects.filter((o) => o.spec?.template?.spec).flatMap((o) => podOf(o).containers.flatMap((c: Obj) =>
    (c.env ?? []).map((e: Obj) => ({ where: `${o.file} ${o.metadata.name}`, name: e.name, value: String(e.value ?? '') }))));
  const inMaps = [...ofKind('ConfigMap'), ...ofKind('Secret')].flatMap((o) =>
    Object.entries({ ...o.data, ...o.stringData }).map(([name, value]) => ({ where: `${o.file} ${o.kind}`, name, value: String(value) })));
  return [...inCompose, ...inPods, ...inMaps, ...envExample.map((e) => ({ where: '.env.example', ...e }))];
}

const isSecretName = (name: string) => /(_API_KEY|_TOKEN|SECRET)$/.test(name) || name === 'MONGODB_URL';
const hasCredentials = (url: string) => /^[a-z+]+:\/\/[^/@\s]+@/.test(url);
/** What a file may hold for a secret: nothing, the placeholder, or a MongoDB URL without a password. */
const isPlaceholder = (name: string, value: string) => value === '' || value === 'change-me' || (name === 'MONGODB_URL' && !hasCredentials(value));
const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1] ?? NaN);
const units: Record<string, number> = { '': 1, m: 1e-3, Mi: 2 ** 20, Gi: 2 ** 30 };
const quantity = (value: string | number) => {
  const [, amount, unit = ''] = /^([\d.]+)(m|Mi|Gi)?$/.exec(String(value)) ?? [];
  return Number(amount) * (units[unit] ?? NaN);
};
const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];

describe('deploy/', () => {
  it('parses every YAML file without errors or warnings', () => {
    expect(yamlFiles).toEqual(expect.arrayContaining(['compose.yaml', join('kubernetes', 'kustomization.yaml')]));
    for (const file of yamlFiles) {
      for (const doc of parse(file)) expect([...doc.errors, ...doc.warnings].map(String), file).toEqual([]);
    }
  });

  it('sets only variables the config schema knows, and ROLES only to real roles', () => {
    const all = assignments();
    expect(all.filter((a) => !configNames.has(a.name)).map((a) => `${a.where}: ${a.name}`)).toEqual([]);
    const roles = all.filter((a) => a.name === 'ROLES');
    expect(roles, 'one per role in compose and in Kubernetes').toHaveLength(roleNames.length * 2);
    for (const { where, value } of roles) expect(roleNames, where).toEqual(expect.arrayContaining(rolesOf(value)));
  });

  it('serves every app container, probe, Service and Ingress backend on PORT 8080, probed at /health', () => {
    expect(configMap.PORT).toBe('8080');
    for (const workload of objects.filter(appContainer)) {
      const c = appContainer(workload)!;
      expect(c.ports.map((p: Obj) => p.containerPort), workload.file).toEqual([8080]);
      for (const probe of [c.readinessProbe, c.livenessProbe]) expect(probe?.httpGet, workload.file).toEqual({ path: '/health', port: 8080 });
    }
    const appServices = ofKind('Service').filter((s) => s.spec.selector['app.kubernetes.io/name'] === 'chat-gateway');
    expect(appServices.map((s) => s.metadata.name).sort()).toEqual([...roleNames].sort());
    for (const s of appServices) expect(s.spec.ports.map((p: Obj) => p.targetPort), s.metadata.name).toEqual([8080]);
    for (const path of ofKind('Ingress').flatMap((i) => i.spec.rules.flatMap((r: Obj) => r.http.paths))) {
      const target = appServices.find((s) => s.metadata.name === path.backend.service.name);
      expect(target?.spec.ports.map((p: Obj) => p.port), path.path).toContain(path.backend.service.port.number);
    }
    for (const [name, service] of Object.entries(services).filter(([, s]) => envOf(s).ROLES)) {
      const env = envOf(service);
      const [, url] = /fetch\('([^']+)'\)/.exec(service.healthcheck.test.join(' ')) ?? [];
      expect(url, name).toBe(`http://127.0.0.1:${env.PORT}/health`);
      for (const mapping of service.ports ?? []) expect(String(mapping).split(':').at(-1), name).toBe(env.PORT);
    }
  });

  it.each(roleNames)('runs %s in its own Deployment: probed, bounded, non-root, given time to finish its jobs', (role) => {
    const found = ofKind('Deployment').filter((d) => rolesOf(roleEnv(appContainer(d))).includes(role));
    expect(found).toHaveLength(1);
    const pod = podOf(found[0]!);
    const c = appContainer(found[0]!)!;
    expect(c.readinessProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 2 });
    // A minute of failed checks before a restart, so a Redis blip does not restart every pod at once.
    expect(c.livenessProbe.initialDelaySeconds).toBeGreaterThanOrEqual(10);
    expect(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(60);
    for (const resource of ['cpu', 'memory']) {
      expect(quantity(c.resources.requests[resource])).toBeGreaterThan(0);
      expect(quantity(c.resources.limits[resource])).toBeGreaterThanOrEqual(quantity(c.resources.requests[resource]));
    }
    const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + shutdownSeconds(configMap));
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const dataMount = c.volumeMounts.find((m: Obj) => m.mountPath === configMap.DATA_DIR);
    expect(pod.volumes.find((v: Obj) => v.name === dataMount?.name)?.emptyDir).toBeDefined();
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'chat-gateway' } }, { secretRef: { name: 'chat-gateway' } }]);
  });

  it('keeps one Telegram poller and one Discord connection, even during a rollout; Slack within Socket Mode\'s 10', () => {
    const deployment = (name: string) => ofKind('Deployment').find((d) => d.metadata.name === name)!;
    for (const name of ['telegram', 'discord']) {
      expect(deployment(name).spec, name).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
      expect(services[name]!.deploy?.replicas ?? 1, name).toBe(1);
    }
    expect(configMap.TELEGRAM_WEBHOOK_URL).toBeUndefined();
    expect(deployment('slack').spec.replicas).toBeLessThanOrEqual(10);
  });

  it('runs every role in compose from one image, chat adapters only under their profile', () => {
    for (const role of roleNames) {
      const [name, service] = Object.entries(services).find(([, s]) => rolesOf(envOf(s).ROLES).includes(role)) ?? [];
      expect(service, role).toBeDefined();
      const env = envOf(service!);
      expect(env).toMatchObject({ HOST: '0.0.0.0', DATA_DIR: '/data' });
      expect(services[new URL(env.REDIS_URL!).hostname], name).toBeDefined();
      expect(service!.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(service!.image).toBe(services.worker!.image);
      expect(service!.env_file).toBe('.env');
      expect(seconds(service!.stop_grace_period)).toBeGreaterThan(shutdownSeconds(env));
      expect(service!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, mongodb: { condition: 'service_healthy' } });
      expect(service!.profiles, name).toEqual(['worker', 'http'].includes(role) ? undefined : [role]);
    }
  });

  it('builds a Node 24 image that runs platform/main.ts as the node user, without bootstrap or dev packages', () => {
    const lines = read('deploy/Dockerfile').split('\n').filter((line) => line.trim() && !line.startsWith('#'));
    const images = lines.filter((line) => line.startsWith('FROM ')).map((line) => line.split(/\s+/)[1]);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/^node:24-/);
    const cmd = JSON.parse(lines.filter((line) => line.startsWith('CMD ')).at(-1)!.slice(4)) as string[];
    expect(cmd).toEqual(['node', 'platform/main.ts']);
    expect(existsSync(join(root, cmd[1]!))).toBe(true);
    expect(lines.filter((line) => line.startsWith('USER ')).at(-1)).toBe('USER node');
    expect(lines.join('\n')).toMatch(/npm ci --omit=dev/);
    expect(lines.join('\n')).not.toMatch(/bootstrap|npm (start|install)/);
    const ignored = read('deploy/Dockerfile.dockerignore').split('\n');
    for (const path of ['**/node_modules', 'data', '.git', '**/.env']) expect(ignored).toContain(path);
  });

  it('lists in kustomization.yaml every manifest but the example Secret, and refers only to what exists', () => {
    const kustomization = load('kubernetes/kustomization.yaml')[0]!;
    const listed = kustomization.resources as string[];
    for (const file of listed) expect(existsSync(join(k8sDir, file)), file).toBe(true);
    expect([...listed].sort()).toEqual(manifests.filter((file) => !file.includes('example')).sort());
    expect(ofKind('Namespace').map((n) => n.metadata.name)).toEqual([kustomization.namespace]);
    expect(kustomization.images.map((i: Obj) => i.name)).toEqual(['chat-gateway']);
    const refs = ofKind('Deployment').flatMap((d) => appContainer(d)!.envFrom as Obj[]);
    for (const ref of refs.filter((r) => r.configMapRef)) expect(ofKind('ConfigMap').map((m) => m.metadata.name)).toContain(ref.configMapRef.name);
    for (const ref of refs.filter((r) => r.secretRef)) expect(ofKind('Secret').map((s) => s.metadata.name)).toContain(ref.secretRef.name);
    expect(ofKind('Service').map((s) => s.metadata.name)).toContain(new URL(configMap.REDIS_URL!).hostname);
  });

  it('scales workers with KEDA on the inbound backlog, a metric the platform registers', () => {
    const [scaled] = ofKind('ScaledObject');
    const target = ofKind('Deployment').find((d) => d.metadata.name === scaled?.spec.scaleTargetRef.name);
    expect(rolesOf(roleEnv(appContainer(target!)))).toEqual(['worker']);
    expect(scaled!.spec).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 20 });
    const trigger = scaled!.spec.triggers.find((t: Obj) => t.type === 'prometheus');
    expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
    // max, not sum: every worker and adapter pod reports the same Redis-wide count.
    const [, aggregation, metric, labels] = /^(\w+)\((\w+)\{(.*)\}\)$/.exec(trigger.metadata.query) ?? [];
    expect(aggregation).toBe('max');
    const metrics = read('queue/queue-metrics.ts');
    expect(metrics).toContain(`name: '${metric}'`);
    expect(labels).toBe(`queue="${inboundQueueName}",state="waiting"`);
    expect(metrics).toMatch(/const states = \[[^\]]*'waiting'/);
    for (const d of ofKind('Deployment')) {
      expect(d.spec.template.metadata.annotations, d.metadata.name).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' });
    }
  });

  it('configures Redis as BullMQ needs it: AOF fsynced each second and noeviction, in compose and Kubernetes', () => {
    const k8sRedis = ofKind('StatefulSet').find((s) => s.metadata.name === 'redis')!;
    for (const args of [services.redis!.command as string[], podOf(k8sRedis).containers[0].args as string[]]) {
      expect([flag(args, '--appendonly'), flag(args, '--appendfsync'), flag(args, '--maxmemory-policy')]).toEqual(['yes', 'everysec', 'noeviction']);
    }
  });

  it('keeps secrets out of every file but the examples, and only placeholders there', () => {
    for (const secret of ofKind('Secret')) {
      expect(secret.file).toMatch(/example/);
      expect(secret.data, 'use stringData, readable placeholders').toBeUndefined();
      for (const [name, value] of Object.entries(secret.stringData as Record<string, string>)) expect(isPlaceholder(name, value), name).toBe(true);
    }
    expect(envExample.find((e) => e.name === 'JWT_SECRET')).toMatchObject({ active: true, value: 'change-me' });
    for (const { name, value } of envExample.filter((e) => isSecretName(e.name))) expect(isPlaceholder(name, value), name).toBe(true);
    const inline = assignments().filter((a) => !a.where.includes('example'));
    for (const { where, name, value } of inline.filter((a) => isSecretName(a.name))) {
      expect(name === 'MONGODB_URL' && !hasCredentials(value), `${where}: ${name} must come from a Secret or .env`).toBe(true);
    }
  });
});
