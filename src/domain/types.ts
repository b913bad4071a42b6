/** Domain records as services and API faces see them. Times are epoch milliseconds (UTC). */

export type Role = 'admin' | 'user';

export interface Customer {
  id: number;
  name: string;
  createdAt: number;
  /** A disabled customer's credentials, ingest keys and webhooks stop working; its data stays. */
  disabledAt: number | null;
}

export interface Facility {
  id: number;
  customerId: number;
  name: string;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  timeZone: string;
  createdAt: number;
}

/** The model name that makes a controller a FlowCommand flow sensor. */
export const FLOW_SENSOR_MODEL = 'flow_sensor';

export interface Controller {
  id: number;
  customerId: number;
  facilityId: number;
  serialNumber: string;
  model: string;
  name: string;
  /** Flow sensors may sit away from their facility's coordinates. */
  latitude: number | null;
  longitude: number | null;
  /** Flow sensors only: inches. */
  pipeDiameter: number | null;
  activatedAt: number | null;
  /** Free-text label (FlowCommand `tag`). */
  tag: string | null;
  /** When the server last accepted data from this controller. */
  lastSeenAt: number | null;
  createdAt: number;
}

export interface Process {
  id: number;
  customerId: number;
  controllerId: number;
  name: string;
  createdAt: number;
}

export type ChannelKind = 'input' | 'output';

export interface Channel {
  id: number;
  customerId: number;
  controllerId: number;
  /** Null until someone assigns it: data for such channels is not stored (seed 000). */
  processId: number | null;
  /** The controller's own name for the channel, e.g. `S11` or `R1`; devices send readings by it. */
  number: string;
  name: string;
  kind: ChannelKind;
  /** What it measures or drives: conductivity, ph, orp, temperature, flowrate, relay, … */
  type: string;
  unit: string | null;
  latestValue: number | null;
  latestTime: number | null;
  createdAt: number;
}

export interface Reading {
  id: number;
  channelId: number;
  time: number;
  value: number;
}

export type AlarmSeverity = 'info' | 'warning' | 'critical';

export interface Alarm {
  id: number;
  customerId: number;
  controllerId: number;
  channelId: number | null;
  /** `fluent-alarm` for alarms Flowline raises itself, otherwise the controller's alarm type. */
  type: string;
  /** Integer alarm code, as the controller (or Flowline) numbers it. */
  code: number;
  severity: AlarmSeverity;
  message: string;
  raisedAt: number;
  clearedAt: number | null;
  acknowledgedAt: number | null;
}

export interface User {
  id: number;
  /** Null for platform operators, who belong to no customer. */
  customerId: number | null;
  /** A platform operator sees and manages every customer; an explicit flag, never implied. */
  operator: boolean;
  email: string;
  name: string;
  role: Role;
  /** False until an invited user sets a password through their link. */
  hasPassword: boolean;
  disabledAt: number | null;
  hasApiToken: boolean;
  apiTokenCreatedAt: number | null;
  apiTermsAcceptedAt: number | null;
  createdAt: number;
}

/** A user record with the secrets needed to authenticate it; never leaves the auth service. */
export interface UserCredentials extends User {
  passwordHash: string;
  apiTokenHash: string | null;
  /** When the user's customer was disabled (the user's credentials stop with it). */
  customerDisabledAt: number | null;
}

/** What a one-time set-password link is for: the first password of an invited user, or a reset. */
export type PasswordLinkPurpose = 'invite' | 'reset';

/** A device credential of a controller; the key itself is shown once and only its digest kept. */
export interface IngestKey {
  id: number;
  customerId: number;
  controllerId: number;
  /** The key's first characters, to tell keys apart. */
  prefix: string;
  createdAt: number;
  /** When a rotation retires it (the overlap); null while it has no end. */
  expiresAt: number | null;
  revokedAt: number | null;
}

/** Who an endpoint was made for: a FlowCommand webhook or a Fluent subscription. */
export type WebhookKind = 'flowcommand' | 'fluent';

/** A URL that receives events by POST: a FlowCommand webhook endpoint or a Fluent subscription. */
export interface WebhookEndpoint {
  id: number;
  customerId: number;
  kind: WebhookKind;
  url: string;
  enabled: boolean;
  /** `ping_received` (FlowCommand); `data-change`, `alarm` (Fluent). */
  eventTypes: string[];
  /** Only these controllers' events; null for all of the customer's. */
  controllerIds: number[] | null;
  /** Only these processes' events; null for all. */
  processIds: number[] | null;
  /** Fluent subscriptions expire 10 days after creation or renewal; webhooks never do. */
  expiresAt: number | null;
  /** Why the server disabled the endpoint (it kept failing), shown to its owner. */
  disabledReason: string | null;
  /** Since when every delivery has failed; null while deliveries succeed. */
  failingSince: number | null;
  createdAt: number;
  updatedAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: number;
  endpointId: number;
  customerId: number;
  eventType: string;
  /** `webhook-id`: stable across retries and re-sends. */
  messageId: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  deliveredAt: number | null;
}

/** An OAuth2 client of the Fluxx face: its tokens act for its customer with its role. */
export interface ApiClient {
  id: number;
  customerId: number;
  name: string;
  clientId: string;
  role: Role;
  createdBy: number | null;
  createdAt: number;
}

export interface ApiClientCredentials extends ApiClient {
  secretHash: string;
}
