/**
 * Renders a kustomization the way `kustomize build` (and `kubectl apply -k`) would, for the subset of kustomize
 * that deploy/k8s uses, so manifests.test.ts can validate what an overlay really produces without the kustomize
 * binary. Anything outside the subset is refused with a clear error rather than rendered differently:
 *
 * - `resources`: YAML files (one or more documents) and directories holding a kustomization; a resource id
 *   (group, kind, namespace, name) may appear only once.
 * - `patches`: from `path` or inline `patch`, with an optional `target` (group, version, kind, name as an
 *   anchored regular expression, namespace, labelSelector and annotationSelector of `key=value` terms).
 *   A YAML list is a JSON 6902 patch (add, remove, replace, test; a target is required); an object is a strategic
 *   merge patch, which without a target applies to the resource it names. Strategic merge: maps merge, `null`
 *   removes a key, lists of containers, env, volumes, volumeMounts, ports and the like merge by their Kubernetes
 *   merge key, other lists are replaced, `$patch: delete` removes the resource (or a keyed list item) and
 *   `$patch: replace` replaces the map it stands in.
 * - `images`: `name` with `newName`, `newTag` and/or `digest`, applied to the containers and init containers of
 *   every pod template.
 * Patches apply in order, then images, as kustomize does.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Target {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

interface PatchEntry {
  path?: string;
  patch?: string;
  target?: Target;
}

interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images']);

/** The resources `kustomize build <dir>` prints, in the order of their resources and patches. */
export function kustomizeBuild(dir: string): Resource[] {
  const root = resolve(dir);
  const file = kustomizationFile(root);
  if (!file) throw new Error(`${root}: no kustomization.yaml`);
  const kustomization = parseYamlDocuments(file)[0];
  if (!isObject(kustomization)) throw new Error(`${file}: not a mapping`);
  if (kustomization.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || kustomization.kind !== 'Kustomization') {
    throw new Error(`${file}: expected apiVersion kustomize.config.k8s.io/v1beta1 and kind Kustomization`);
  }
  for (const field of Object.keys(kustomization)) {
    if (!SUPPORTED_FIELDS.has(field))
      throw new Error(
        `${file}: "${field}" is outside the kustomize subset deploy/k8s/kustomize.ts renders; teach it first`,
      );
  }

  let resources: Resource[] = [];
  for (const entry of asList<string>(kustomization.resources, `${file}: resources`)) {
    if (typeof entry !== 'string' || /^[a-z]+:\/\//.test(entry))
      throw new Error(`${file}: resource ${JSON.stringify(entry)} must be a local path`);
    const path = resolve(root, entry);
    if (!existsSync(path)) throw new Error(`${file}: resource ${entry} does not exist`);
    const loaded = statSync(path).isDirectory()
      ? kustomizeBuild(path)
      : parseYamlDocuments(path).map((doc) => asResource(doc, path));
    for (const resource of loaded) {
      if (resources.some((r) => sameId(r, resource)))
        throw new Error(`${file}: ${describe(resource)} is defined twice`);
      resources.push(resource);
    }
  }

  for (const [index, entry] of asList<PatchEntry>(kustomization.patches, `${file}: patches`).entries()) {
    const where = `${file}: patches[${index}]`;
    if (!isObject(entry)) throw new Error(`${where}: must be a mapping`);
    for (const key of Object.keys(entry))
      if (!['path', 'patch', 'target'].includes(key)) throw new Error(`${where}: "${key}" is not supported`);
    if ((entry.path === undefined) === (entry.patch === undefined))
      throw new Error(`${where}: needs exactly one of path and patch`);
    const docs =
      entry.path !== undefined
        ? parseYamlDocuments(resolve(root, String(entry.path)))
        : parseYamlText(String(entry.patch), where);
    if (docs.length !== 1) throw new Error(`${where}: one patch per entry (found ${docs.length} documents)`);
    resources = applyPatch(resources, docs[0] as Json, entry.target as Target | undefined, where);
  }

  const images = asList<ImageEntry>(kustomization.images, `${file}: images`);
  for (const image of images) {
    if (!isObject(image) || typeof image.name !== 'string') throw new Error(`${file}: every image needs a name`);
    for (const key of Object.keys(image))
      if (!['name', 'newName', 'newTag', 'digest'].includes(key))
        throw new Error(`${file}: image field "${key}" is not supported`);
  }
  if (images.length > 0) for (const resource of resources) setImages(resource, images);
  return resources;
}

export function kustomizationFile(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((name) => join(dir, name)).find((path) => existsSync(path));
}

/** Every document of a YAML file, failing on any syntax error or warning; empty documents are skipped. */
export function parseYamlDocuments(path: string): unknown[] {
  return parseYamlText(readFileSync(path, 'utf8'), path);
}

function parseYamlText(text: string, where: string): unknown[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${where}: ${problems.map((p) => p.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function asResource(doc: unknown, path: string): Resource {
  if (
    !isObject(doc) ||
    typeof doc.apiVersion !== 'string' ||
    typeof doc.kind !== 'string' ||
    !isObject(doc.metadata) ||
    typeof doc.metadata.name !== 'string'
  ) {
    throw new Error(`${path}: every document must be a Kubernetes object with apiVersion, kind and metadata.name`);
  }
  return doc as unknown as Resource;
}

function asList<T>(value: unknown, where: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${where} must be a list`);
  return value as T[];
}

// --- selecting resources ------------------------------------------------------------------------------------

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
const versionOf = (apiVersion: string) => apiVersion.slice(apiVersion.indexOf('/') + 1);
const sameId = (a: Resource, b: Resource) =>
  groupOf(a.apiVersion) === groupOf(b.apiVersion) &&
  a.kind === b.kind &&
  a.metadata.name === b.metadata.name &&
  (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');
export const describe = (r: Resource) => `${r.kind}/${r.metadata.name}`;

function matchesSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=').map((s) => s.trim());
    if (!key || value === undefined)
      throw new Error(`selector term ${JSON.stringify(term)}: only key=value is supported`);
    return labels?.[key] === value;
  });
}

function selects(target: Target, r: Resource): boolean {
  for (const key of Object.keys(target)) {
    if (!['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'].includes(key))
      throw new Error(`target field "${key}" is not supported`);
  }
  const anchored = (pattern: string, value: string) => new RegExp(`^(?:${pattern})$`).test(value);
  return (
    (target.group === undefined || target.group === groupOf(r.apiVersion)) &&
    (target.version === undefined || target.version === versionOf(r.apiVersion)) &&
    (target.kind === undefined || anchored(target.kind, r.kind)) &&
    (target.name === undefined || anchored(target.name, r.metadata.name)) &&
    (target.namespace === undefined || anchored(target.namespace, r.metadata.namespace ?? '')) &&
    (target.labelSelector === undefined || matchesSelector(r.metadata.labels, target.labelSelector)) &&
    (target.annotationSelector === undefined || matchesSelector(r.metadata.annotations, target.annotationSelector))
  );
}

// --- patches ------------------------------------------------------------------------------------------------

const DELETED = Symbol('deleted');

function applyPatch(resources: Resource[], patch: Json, target: Target | undefined, where: string): Resource[] {
  if (Array.isArray(patch)) {
    if (!target) throw new Error(`${where}: a JSON 6902 patch needs a target`);
    const selected = resources.filter((r) => selects(target, r));
    if (selected.length === 0) throw new Error(`${where}: the target selects no resource`);
    return resources.map((r) =>
      selected.includes(r) ? (applyJson6902(r as unknown as Json, patch, where) as unknown as Resource) : r,
    );
  }
  if (!isObject(patch)) throw new Error(`${where}: a patch is a list (JSON 6902) or a mapping (strategic merge)`);
  let selected: Resource[];
  let body: JsonObject = patch;
  if (target) {
    selected = resources.filter((r) => selects(target, r));
    // with a target, the patch applies to whatever it selects, whatever the patch itself is named
    const { apiVersion: _apiVersion, kind: _kind, ...rest } = patch;
    const metadata = isObject(rest.metadata) ? (({ name: _name, ...m }) => m)(rest.metadata) : undefined;
    body = { ...rest, ...(metadata ? { metadata } : {}) };
  } else {
    const named = patch as unknown as Resource;
    if (
      typeof named.apiVersion !== 'string' ||
      typeof named.kind !== 'string' ||
      typeof named.metadata?.name !== 'string'
    ) {
      throw new Error(
        `${where}: a strategic merge patch without a target must name apiVersion, kind and metadata.name`,
      );
    }
    selected = resources.filter(
      (r) =>
        groupOf(r.apiVersion) === groupOf(named.apiVersion) &&
        r.kind === named.kind &&
        r.metadata.name === named.metadata.name,
    );
  }
  if (selected.length === 0) throw new Error(`${where}: the patch matches no resource`);
  const out: Resource[] = [];
  for (const r of resources) {
    if (!selected.includes(r)) {
      out.push(r);
      continue;
    }
    const merged = strategicMerge(r as unknown as Json, body, '');
    if (merged !== DELETED) out.push(merged as unknown as Resource);
  }
  return out;
}

/** The merge keys of the Kubernetes lists deploy/k8s may patch (patchMergeKey in the API). */
function mergeKeyOf(field: string, items: Json[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'ports':
      // a container's ports merge by containerPort, a Service's by port
      return items.some((item) => isObject(item) && 'containerPort' in item) ? 'containerPort' : 'port';
    default:
      return undefined;
  }
}

function strategicMerge(base: Json | undefined, patch: Json, field: string): Json | typeof DELETED {
  if (isObject(patch)) {
    const directive = patch.$patch;
    if (directive === 'delete') return DELETED;
    const { $patch: _directive, ...rest } = patch;
    if (directive === 'replace') return rest;
    if (directive !== undefined) throw new Error(`$patch: ${String(directive)} is not supported`);
    const result: JsonObject = isObject(base) ? { ...base } : {};
    for (const [key, value] of Object.entries(rest)) {
      if (value === null) {
        delete result[key];
        continue;
      }
      const merged = strategicMerge(result[key], value, key);
      if (merged === DELETED) delete result[key];
      else result[key] = merged;
    }
    return result;
  }
  if (Array.isArray(patch)) {
    const key = Array.isArray(base) ? mergeKeyOf(field, [...base, ...patch]) : mergeKeyOf(field, patch);
    if (!key || !Array.isArray(base)) return patch.filter((item) => !(isObject(item) && item.$patch === 'delete'));
    const result: Json[] = [...base];
    for (const item of patch) {
      if (!isObject(item) || item[key] === undefined)
        throw new Error(`${field}: every patch item needs its merge key ${key}`);
      const at = result.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
      const merged = strategicMerge(at >= 0 ? result[at] : undefined, item, field);
      if (merged === DELETED) {
        if (at >= 0) result.splice(at, 1);
      } else if (at >= 0) result[at] = merged;
      else result.push(merged);
    }
    return result;
  }
  return patch;
}

function pointer(path: string, where: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`${where}: ${JSON.stringify(path)} is not a JSON pointer`);
  return path
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyJson6902(document: Json, operations: Json[], where: string): Json {
  const doc = structuredClone(document);
  for (const operation of operations) {
    if (!isObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string')
      throw new Error(`${where}: every operation needs op and path`);
    const { op, path } = operation;
    const tokens = pointer(path, where);
    const last = tokens.pop();
    if (last === undefined) throw new Error(`${where}: ${op} of the whole document is not supported`);
    let parent: Json = doc;
    for (const token of tokens) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(token)]
        : isObject(parent)
          ? parent[token]
          : undefined;
      if (next === undefined || next === null || typeof next !== 'object')
        throw new Error(`${where}: ${path}: ${token} does not exist`);
      parent = next;
    }
    const has = Array.isArray(parent)
      ? /^\d+$/.test(last) && Number(last) < parent.length
      : isObject(parent) && last in parent;
    const value = operation.value;
    switch (op) {
      case 'test': {
        const current = Array.isArray(parent) ? parent[Number(last)] : (parent as JsonObject)[last];
        if (!has || JSON.stringify(current) !== JSON.stringify(value))
          throw new Error(`${where}: test of ${path} failed`);
        break;
      }
      case 'remove':
      case 'replace':
        if (!has) throw new Error(`${where}: ${op} ${path}: nothing there`);
        if (op === 'replace' && value === undefined) throw new Error(`${where}: replace ${path} needs a value`);
        if (Array.isArray(parent)) {
          if (op === 'remove') parent.splice(Number(last), 1);
          else parent[Number(last)] = value as Json;
        } else if (op === 'remove') delete (parent as JsonObject)[last];
        else (parent as JsonObject)[last] = value as Json;
        break;
      case 'add':
        if (value === undefined) throw new Error(`${where}: add ${path} needs a value`);
        if (Array.isArray(parent)) {
          const index = last === '-' ? parent.length : Number(last);
          if (!Number.isInteger(index) || index > parent.length)
            throw new Error(`${where}: add ${path}: index out of range`);
          parent.splice(index, 0, value);
        } else (parent as JsonObject)[last] = value;
        break;
      default:
        throw new Error(`${where}: op ${op} is not supported`);
    }
  }
  return doc;
}

// --- images -------------------------------------------------------------------------------------------------

/** Splits `registry:5000/name:tag@sha256:...` into name, tag and digest (a registry port is not a tag). */
export function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest = '', digest] = image.split('@');
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    name: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    ...(hasTag ? { tag: withoutDigest.slice(colon + 1) } : {}),
    ...(digest ? { digest } : {}),
  };
}

function setImages(resource: Resource, images: ImageEntry[]): void {
  for (const podSpec of podSpecsOf(resource)) {
    for (const list of [podSpec.containers, podSpec.initContainers]) {
      if (!Array.isArray(list)) continue;
      for (const container of list) {
        if (!isObject(container) || typeof container.image !== 'string') continue;
        const current = parseImage(container.image);
        const entry = images.find((i) => i.name === current.name);
        if (!entry) continue;
        const name = entry.newName ?? current.name;
        if (entry.digest) container.image = `${name}@${entry.digest}`;
        else if (entry.newTag) container.image = `${name}:${entry.newTag}`;
        else
          container.image = `${name}${current.tag ? `:${current.tag}` : ''}${current.digest ? `@${current.digest}` : ''}`;
      }
    }
  }
}

/** The pod specs of workloads: spec.template.spec (Deployment, Job, ...) and CronJob's jobTemplate. */
export function podSpecsOf(resource: Resource): JsonObject[] {
  const spec = resource.spec;
  if (!isObject(spec)) return [];
  const specs: JsonObject[] = [];
  if (isObject(spec.template) && isObject(spec.template.spec)) specs.push(spec.template.spec);
  if (
    isObject(spec.jobTemplate) &&
    isObject(spec.jobTemplate.spec) &&
    isObject(spec.jobTemplate.spec.template) &&
    isObject(spec.jobTemplate.spec.template.spec)
  ) {
    specs.push(spec.jobTemplate.spec.template.spec);
  }
  return specs;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
