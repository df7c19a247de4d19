/** A Kubernetes object as kustomize renders it, and the few accessors the manifest tests share. */

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export type Obj = Record<string, unknown>;

export const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `Kind/name`, the way kubectl names an object in its messages. */
export const describeResource = (r: Resource) => `${r.kind}/${r.metadata.name}`;

/** A parsed YAML document that has what every Kubernetes object has; anything else is an error, not skipped. */
export function asResource(doc: unknown, where: string): Resource {
  const metadata = isObj(doc) ? doc.metadata : undefined;
  if (
    !isObj(doc) ||
    typeof doc.apiVersion !== 'string' ||
    typeof doc.kind !== 'string' ||
    !isObj(metadata) ||
    typeof metadata.name !== 'string'
  ) {
    throw new Error(`${where}: every document must be a Kubernetes object with apiVersion, kind and metadata.name`);
  }
  return doc as Resource;
}

/** The pod specs of a workload: spec.template.spec (Deployment, Job, ...) and a CronJob's jobTemplate. */
export function podSpecsOf(resource: Resource): Obj[] {
  const spec = resource.spec;
  if (!isObj(spec)) return [];
  const templates = [
    spec.template,
    isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec) && spec.jobTemplate.spec.template,
  ];
  return templates.flatMap((template) => (isObj(template) && isObj(template.spec) ? [template.spec] : []));
}

/** Splits `registry:5000/name:tag@sha256:...` into name, tag and digest (a registry's port is not a tag). */
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
