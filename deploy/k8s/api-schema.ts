/**
 * Validates objects against the Kubernetes API's own schemas, offline and strictly.
 *
 * The schemas are kubernetes-models' (SCHEMA_SOURCE below: 5.1.0, generated from the OpenAPI of Kubernetes
 * v1.36.0), precompiled into one validate function per API type that checks types, required fields, enums and
 * formats. Like the API's OpenAPI they do not forbid unknown fields, yet the API server refuses them (kubectl
 * validates strictly by default) and a misspelt optional field must fail here, not at the first apply. So the
 * validator runs over a proxy that records every field it looks up: it looks up exactly the fields its schema
 * defines (and every key of a map, such as labels), so a field it never looked at is one the API does not have.
 * A free-form object (RawExtension, which nothing here uses) would be reported too.
 */
import { validate as configMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as service } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { validate as serviceAccount } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount';
import { validate as deployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as job } from 'kubernetes-models/_schemas/IoK8sApiBatchV1Job';
import { validate as podDisruptionBudget } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { validate as horizontalPodAutoscaler } from 'kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler';
import { validate as networkPolicy } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy';

/** Where the schemas come from; a test holds package.json, node_modules and the README to it. */
export const SCHEMA_SOURCE = { package: 'kubernetes-models', version: '5.1.0', kubernetes: 'v1.36.0' } as const;

/** An ajv standalone validate function: a verdict, and on failure its errors. */
type SchemaValidate = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };
interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** The kinds deploy/k8s uses, by `apiVersion/kind`; another kind fails until its schema is added here. */
const SCHEMAS: Record<string, SchemaValidate> = {
  'v1/ConfigMap': configMap,
  'v1/Service': service,
  'v1/ServiceAccount': serviceAccount,
  'apps/v1/Deployment': deployment,
  'batch/v1/Job': job,
  'policy/v1/PodDisruptionBudget': podDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': horizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': networkPolicy,
};

/** What is wrong with an object by the API's schema: each problem as `/json/pointer: what`; none if it is valid. */
export function apiSchemaProblems(object: unknown): string[] {
  const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const validate = SCHEMAS[`${String(apiVersion)}/${String(kind)}`];
  if (!validate) return [`/: ${String(apiVersion)} ${String(kind)} has no schema in deploy/k8s/api-schema.ts`];
  const looked = new Map<object, Set<PropertyKey>>();
  const valid = validate(recording(object, looked, new WeakMap()));
  const errors = valid ? [] : (validate.errors ?? []).map(describeError);
  return [...errors, ...unknownFields(object, looked, '')];
}

function describeError({ instancePath, keyword, params }: SchemaError): string {
  const at = instancePath || '/';
  switch (keyword) {
    case 'type':
      return `${at}: must be of type ${String(params.type)}`;
    case 'enum':
      return `${at}: must be one of ${JSON.stringify(params.allowedValues)}`;
    case 'required':
      return `${at}: the required field ${String(params.missingProperty)} is missing`;
    case 'format':
      return `${at}: must have the format ${String(params.format)}`;
    default:
      return `${at}: fails ${keyword} ${JSON.stringify(params)}`;
  }
}

/** A read-only view of `value` that notes, per object, every property looked up through it. */
function recording(value: unknown, looked: Map<object, Set<PropertyKey>>, views: WeakMap<object, object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const existing = views.get(value);
  if (existing) return existing;
  const keys = new Set<PropertyKey>();
  looked.set(value, keys);
  const view = new Proxy(value, {
    get(target, key) {
      keys.add(key);
      return recording(Reflect.get(target, key), looked, views);
    },
    has(target, key) {
      keys.add(key);
      return Reflect.has(target, key);
    },
  });
  views.set(value, view);
  return view;
}

/** The fields of objects (not of arrays) that the validator never looked up, as JSON pointers. */
function unknownFields(value: unknown, looked: Map<object, Set<PropertyKey>>, path: string): string[] {
  if (typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unknownFields(item, looked, `${path}/${i}`));
  const keys = looked.get(value) ?? new Set();
  return Object.entries(value).flatMap(([key, child]) => {
    const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return keys.has(key) ? unknownFields(child, looked, at) : [`${at}: not a field of the API`];
  });
}
