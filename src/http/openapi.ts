import type { FastifyInstance } from 'fastify';

/** Registers the OpenAPI generator and the routes that serve the document and its page. */
export async function registerOpenApi(_app: FastifyInstance): Promise<void> {
  // Filled in by the OpenAPI work of issue 12 (in progress).
}
