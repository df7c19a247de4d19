/** The routes of the gateway, as its OpenAPI document (GET /docs/json) lists them: what the fuzzer aims at. */

/** The parts of a JSON schema the fuzzer reads to build a valid request and to break it. */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
}

export interface ApiRoute {
  method: string;
  /** As documented, with `{name}` for each path parameter. */
  path: string;
  pathParams: Record<string, JsonSchema>;
  query: Record<string, { schema: JsonSchema; required: boolean }>;
  /** The JSON body's schema, for routes that take one. */
  body?: JsonSchema;
  /** Documented with `security` (a key, or a ticket's secret): the write routes and the private reads. */
  needsKey: boolean;
  /** The security schemes any one of which opens it (`bearerAuth`, `ticketSecret`); empty for public routes. */
  securitySchemes: string[];
}

export const routeName = (route: Pick<ApiRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: Record<string, unknown>[];
}

/** The document could not be read: without it the fuzzer would not know what to aim at. */
export class OpenApiUnavailableError extends Error {
  constructor(url: string, reason: string) {
    super(`cannot read the gateway's OpenAPI document at ${url}: ${reason}; is the gateway running there?`);
    this.name = 'OpenApiUnavailableError';
  }
}

/** Every documented route and method, sorted, so the same document always gives the same order (and requests). */
export async function loadRoutes(gatewayUrl: string): Promise<ApiRoute[]> {
  const url = `${gatewayUrl}/docs/json`;
  const response = await fetch(url).catch((error: unknown) => {
    throw new OpenApiUnavailableError(url, error instanceof Error ? error.message : String(error));
  });
  if (!response.ok) throw new OpenApiUnavailableError(url, `HTTP ${response.status}`);
  const document = (await response.json()) as { paths?: Record<string, Record<string, Operation>> };
  const routes = Object.entries(document.paths ?? {}).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => toRoute(method.toUpperCase(), path, operation)),
  );
  if (routes.length === 0) throw new OpenApiUnavailableError(url, 'it lists no routes');
  return routes.sort((a, b) => routeName(a).localeCompare(routeName(b)));
}

function toRoute(method: string, path: string, operation: Operation): ApiRoute {
  const parameters = operation.parameters ?? [];
  const pathParams = Object.fromEntries(parameters.filter((p) => p.in === 'path').map((p) => [p.name, p.schema]));
  const query = Object.fromEntries(
    parameters
      .filter((p) => p.in === 'query')
      .map((p) => [p.name, { schema: p.schema, required: p.required === true }]),
  );
  const body = operation.requestBody?.content?.['application/json']?.schema;
  const securitySchemes = [...new Set((operation.security ?? []).flatMap((requirement) => Object.keys(requirement)))];
  return {
    method,
    path,
    pathParams,
    query,
    ...(body ? { body } : {}),
    needsKey: (operation.security ?? []).length > 0,
    securitySchemes,
  };
}
