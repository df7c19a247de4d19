import type { SwaggerTransformObject } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * For a scope whose routes carry nothing in the body (leave, complete): no body, an empty one and `{}` are all
 * "nothing", since many clients send `content-type: application/json` with every request, body or not. Fastify's
 * own JSON parser refuses an empty body, so this scope's parser reads one as no body, and a missing body is
 * then validated as `{}`; anything else still goes through the default parser and the route's schema.
 */
export function acceptEmptyJsonBody(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body, done),
  );
  // only a missing body: a JSON null is something sent, and refused by the schema like any other non-object
  scope.addHook('preValidation', async (request) => {
    if (request.body === undefined) request.body = {};
  });
}

type DocumentedOperation = {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { properties?: object } }> };
};

/**
 * For @fastify/swagger's `transformObject`: it marks every request body required, but a body that names no
 * field (the scope above) may be left out, and the document should say so, since what is documented is what is
 * enforced.
 */
export const documentEmptyBodiesOptional: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject;
  const paths = (document.openapiObject.paths ?? {}) as Record<string, Record<string, DocumentedOperation | undefined>>;
  for (const operation of Object.values(paths).flatMap((item) => Object.values(item))) {
    const body = operation?.requestBody;
    const schema = body?.content?.['application/json']?.schema;
    if (body && schema?.properties && Object.keys(schema.properties).length === 0) body.required = false;
  }
  return document.openapiObject;
};
