/**
 * Ids (stream, item, session, user) are opaque to us, but bounded and URL-safe so they can be Kafka keys and
 * path segments.
 */
export const ID_CHARSET = /^[A-Za-z0-9._:@-]+$/;
export const ID_MAX_LENGTH = 128;
