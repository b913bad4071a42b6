// Generated from openapi.json by `npm run openapi:write`; never edit by hand.

export interface paths {
    "/api/flowline/v1/account": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in account */
        get: operations["account.get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/account/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Change your password (the current one is needed)
         * @description A wrong `current_password` (422) spends the account’s budget of failed passwords, as a failed sign-in does; past it, 429 with Retry-After.
         */
        put: operations["account.changePassword"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/account/password-link": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Whose set-password link this is, before choosing the password (no credentials) */
        post: operations["account.inspectPasswordLink"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/account/password-reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Forgot your password: a reset link is e-mailed (no credentials)
         * @description Answers 202 whatever the address, so it reveals no accounts. Needs mail (SMTP_URL); without it, an admin makes a link (POST /users/{id}/password-link or `flowline user reset-password`).
         */
        post: operations["account.requestPasswordReset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/account/set-password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set your password with a one-time link (no credentials)
         * @description The token is the `#token=` part of the link. It works once, before it expires; then log in with your e-mail and the new password.
         */
        post: operations["account.setPassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/account/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Generate a new API token, revoking the previous one
         * @description Needs HTTP Basic with e-mail and password, or the web-app session (with its `X-CSRF-Token`) and the current `password`, not an API token. A wrong `password` (422) spends the account’s budget of failed passwords; past it, 429 with Retry-After. The first token accepts the API terms (`accept_terms: true`); the acceptance is recorded once, with its time.
         */
        post: operations["account.regenerateToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/alarms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Alarms, newest first; only those still active with `active=true`
         * @description Filters combine: `controller_id`, `severity`, and `from`/`to` bound `raised_at` (half-open, [from, to)).
         */
        get: operations["monitoring.alarms"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/channels/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a channel or assign it to one of its controller's processes (admins) */
        patch: operations["onboarding.channels.update"];
        trace?: never;
    };
    "/api/flowline/v1/channels/{id}/readings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A channel's readings in a time range, newest first by default */
        get: operations["monitoring.channelReadings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/channels/{id}/series": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A channel's readings as chart buckets: min, max, average and last per bucket, about `width` buckets
         * @description The bucket width is the finest of 1 min, 5 min, 15 min, 1 h, 6 h and 1 d giving at most `width` buckets over the range; buckets start at whole multiples of it (UTC) and the range is widened to whole buckets. Defaults: the 24 hours up to now. The range must not exceed five years.
         */
        get: operations["monitoring.channelSeries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/controllers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Controllers with their channels and latest values */
        get: operations["monitoring.controllers"];
        put?: never;
        /**
         * Register a controller or flow sensor with its processes and channels (admins)
         * @description Everything is checked before anything is written. The answer holds the first ingest key, shown once.
         */
        post: operations["onboarding.controllers.register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/controllers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A controller with its processes and channels */
        get: operations["onboarding.controllers.get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a controller, or move it to another of its customer's facilities (admins) */
        patch: operations["onboarding.controllers.update"];
        trace?: never;
    };
    "/api/flowline/v1/controllers/{id}/channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a channel to a controller (admins)
         * @description Data is stored only for channels that belong to a process.
         */
        post: operations["onboarding.channels.create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/controllers/{id}/ingest-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A controller's ingest keys, newest first (admins; never the keys themselves) */
        get: operations["onboarding.ingestKeys.list"];
        put?: never;
        /** Issue a new ingest key; the previous keys work for the overlap, then stop (admins) */
        post: operations["onboarding.ingestKeys.rotate"];
        /** Revoke every key of the controller: the device is refused at once (admins) */
        delete: operations["onboarding.ingestKeys.revokeAll"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/controllers/{id}/ingest-keys/{keyId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke one ingest key (admins) */
        delete: operations["onboarding.ingestKeys.revoke"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/controllers/{id}/processes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add a process to a controller (admins) */
        post: operations["onboarding.processes.create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/customers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Customers you can see (operators: all) */
        get: operations["onboarding.customers.list"];
        put?: never;
        /** Create a customer (platform operators) */
        post: operations["onboarding.customers.create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/customers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One customer */
        get: operations["onboarding.customers.get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Rename, disable or enable a customer (platform operators)
         * @description Disabling stops every credential of the customer at once (users' passwords and tokens, API clients, ingest keys) and holds its webhooks; its data is kept, and enabling brings everything back.
         */
        patch: operations["onboarding.customers.update"];
        trace?: never;
    };
    "/api/flowline/v1/facilities": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Facilities you can see */
        get: operations["onboarding.facilities.list"];
        put?: never;
        /** Create a facility (admins) */
        post: operations["onboarding.facilities.create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/facilities/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One facility */
        get: operations["onboarding.facilities.get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a facility (admins) */
        patch: operations["onboarding.facilities.update"];
        trace?: never;
    };
    "/api/flowline/v1/processes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Rename a process (admins) */
        patch: operations["onboarding.processes.update"];
        trace?: never;
    };
    "/api/flowline/v1/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The signed-in account of this session, and its CSRF token
         * @description Signed out (no cookie, or a session that has ended: the cookie is then cleared), answers 200 with `account` and `csrf_token` null. A request with an Authorization header is no session: 401.
         */
        get: operations["session.get"];
        put?: never;
        /**
         * Sign in with e-mail and password: sets the session cookie
         * @description Answers the account and the CSRF token, and sets `flowline_session`. A wrong address and a wrong password get the same 401. Throttled per IP and per account (429 with Retry-After).
         */
        post: operations["session.create"];
        /**
         * Sign out: ends the session everywhere and clears the cookie
         * @description Needs the `X-CSRF-Token` of a live session; without a live session it only clears the cookie (204 either way).
         */
        delete: operations["session.delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Users you can see */
        get: operations["accounts.users.list"];
        put?: never;
        /**
         * Invite a user (admins): a one-time, expiring set-password link, e-mailed when mail is configured
         * @description The user has no password until they follow the link. The link is returned here once; it works for 7 days.
         */
        post: operations["accounts.users.invite"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One user */
        get: operations["accounts.users.get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Rename a user, change their role, disable or enable them (admins) */
        patch: operations["accounts.users.update"];
        trace?: never;
    };
    "/api/flowline/v1/users/{id}/password-link": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A new set-password link for a user (admins): a reset, or the invitation again
         * @description Replaces the user’s unused links. Reset links work for 2 hours, invitations for 7 days.
         */
        post: operations["accounts.users.passwordLink"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/webhook-endpoints/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The newest deliveries of a webhook endpoint or subscription, in one shape for both kinds
         * @description Newest first, `limit` at a time (50 unless given); continue with `before` = the `next_before` of the previous answer.
         */
        get: operations["webhookTools.deliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/webhook-endpoints/{id}/enabled": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Enable or disable a webhook endpoint or subscription
         * @description A disabled endpoint receives nothing: no events are queued for it meanwhile, and deliveries already queued wait until it is enabled again. Enabling clears `disabled_reason` and the failure streak.
         */
        put: operations["webhookTools.setEnabled"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flowline/v1/webhook-endpoints/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Queue a signed test event to a webhook endpoint or subscription
         * @description One delivery of event type `test` in the shape of the endpoint’s events (FlowCommand: `{"type": "test", "api_version": "1", "test": true, "data": {example ping}}`; Fluent: `{"event-type": "test", "subscription-id", "serial-number": "TEST", "test": true, "reading": {example}}`), signed and sent by the delivery worker like any event and listed in the delivery log. A disabled endpoint or an expired subscription is 409.
         */
        post: operations["webhookTools.sendTest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/rest/v2/{model_type}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List records of a model
         * @description Parameters from the query string, a form, multipart or JSON: `cols` (JSON array), `page`, `per_page` (25, at most 500), `filter` (`{"group_type": "and", "conditions": [[field, operator, value], …]}`), `sort` (`["field","asc"]` or a list of them; or `sort_attribute`/`sort_order`), `relation` (`{"facility_id": ["name"]}`), `query` (text search), `style` (accepted).
         */
        get: operations["fluxx.index"];
        put?: never;
        /**
         * Create a record
         * @description `data`: JSON object of field values; `cols`: fields to answer with.
         */
        post: operations["fluxx.create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/rest/v2/{model_type}/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One record
         * @description `cols` (JSON array) chooses the fields; `id` always comes back.
         */
        get: operations["fluxx.get"];
        /**
         * Update a record
         * @description `data`: the fields to change (`""` clears one); `cols`: fields to answer with.
         */
        put: operations["fluxx.update"];
        post?: never;
        /** Delete a record (answers true) */
        delete: operations["fluxx.delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/rest/v2/{model_type}/list": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * List records of a model (parameters in the body)
         * @description Parameters from the query string, a form, multipart or JSON: `cols` (JSON array), `page`, `per_page` (25, at most 500), `filter` (`{"group_type": "and", "conditions": [[field, operator, value], …]}`), `sort` (`["field","asc"]` or a list of them; or `sort_attribute`/`sort_order`), `relation` (`{"facility_id": ["name"]}`), `query` (text search), `style` (accepted).
         */
        post: operations["fluxx.list"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/rest/v2/doc": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The API documentation (admins) */
        get: operations["fluxx.doc"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/rest/v2/doc/{model_type}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A class's fields and sample calls (admins) */
        get: operations["fluxx.classDoc"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flow_sensors/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get all flow sensors, ordered by id */
        get: operations["flowcommand.flowSensors.list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flow_sensors/{id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One flow sensor, as the list shows it */
        get: operations["flowcommand.flowSensors.get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flow_sensors/{id}/flow_volume_hours/{start}/{end}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Hourly flow volumes over [START, END), newest first
         * @description Flowrate is in barrels per day and linear between consecutive pings (trapezoid rule); volume is its integral over time in days, in barrels. The range is half-open, [START, END): trapezoids are cut at the bounds by linear interpolation. Nothing is counted before the first ping or after the last one, and a gap between two pings is bridged linearly like any other segment. START and END are ISO 8601; without an offset they are UTC. One row per UTC clock hour overlapping the range, each clipped to it (its start and end are the clipped bounds); hours without flow are 0. The rows add up to flow_volume over the same range.
         */
        get: operations["flowcommand.flowSensors.flowVolumeHours"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flow_sensors/{id}/flow_volume/{start}/{end}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Total flow volume (bbl) over [START, END)
         * @description Flowrate is in barrels per day and linear between consecutive pings (trapezoid rule); volume is its integral over time in days, in barrels. The range is half-open, [START, END): trapezoids are cut at the bounds by linear interpolation. Nothing is counted before the first ping or after the last one, and a gap between two pings is bridged linearly like any other segment. START and END are ISO 8601; without an offset they are UTC.
         */
        get: operations["flowcommand.flowSensors.flowVolume"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flow_sensors/{id}/pings/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a flow sensor's pings, newest first
         * @description `start` and `end` are inclusive bounds: pings with `datetime >= start` and `datetime <= end`.
         */
        get: operations["flowcommand.flowSensors.pings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your webhook endpoints, by id */
        get: operations["flowcommand.webhooks.list"];
        put?: never;
        /** Add a webhook endpoint: a POST to it for every ping of your sensors */
        post: operations["flowcommand.webhooks.create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One webhook endpoint */
        get: operations["flowcommand.webhooks.get"];
        /**
         * Change a webhook endpoint
         * @description Enabling an endpoint the server disabled clears `disabled_reason` and `failing_since`.
         */
        put: operations["flowcommand.webhooks.update"];
        post?: never;
        /** Remove a webhook endpoint and its delivery log */
        delete: operations["flowcommand.webhooks.delete"];
        options?: never;
        head?: never;
        /**
         * Change some fields of a webhook endpoint
         * @description Enabling an endpoint the server disabled clears `disabled_reason` and `failing_since`.
         */
        patch: operations["flowcommand.webhooks.partialUpdate"];
        trace?: never;
    };
    "/api/v1/webhooks/{id}/deliveries/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The delivery log of an endpoint, newest first */
        get: operations["flowcommand.webhooks.deliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{id}/deliveries/{delivery}/resend/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send one delivery again (same webhook-id) */
        post: operations["flowcommand.webhooks.resendOne"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{id}/resend/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send again every delivery of the endpoint created in [start, end) */
        post: operations["flowcommand.webhooks.resendRange"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{id}/rotate_secret/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replace the secret; deliveries from now on use the new one */
        post: operations["flowcommand.webhooks.rotateSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/controller/active-alarms/{serial}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The alarms active on a controller now */
        get: operations["fluent.activeAlarms"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/controller/alarm-history/{serial}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Alarms of a controller, active and cleared, newest first
         * @description Filter by when they were raised ([start, end)) and by severity; pages are chained with `next-cursor`.
         */
        get: operations["fluent.alarmHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/controller/current-readings/{serial}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The latest value of each channel of a controller
         * @description Channels assigned to a process (only their data is stored), inputs first. A channel without a value yet has no `subchannel`.
         */
        get: operations["fluent.currentReadings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/controller/hierarchy/{serial}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where a controller sits: customer, facility, and its processes with their channels */
        get: operations["fluent.hierarchy"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/controller/list/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Serial numbers of your controllers */
        get: operations["fluent.controllerList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/controller/readings/{serial}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readings of a controller over a time range, raw or downsampled
         * @description The range is half-open, [start, end). Pages are chained with `next-cursor`, which stays correct while new readings arrive: a page continues strictly after the last row of the one before. With `interval`, each channel's readings are aggregated per interval by the database (min, max, avg, last, count); a page then holds up to `limit` intervals and never splits one.
         */
        get: operations["fluent.readings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers */
        get: operations["health.live"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ingest/v1/readings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Push a batch of readings and alarm events from a controller
         * @description Authenticated by the controller ingest key (`Authorization: Bearer <key>`). All-or-nothing: a bad time or an unknown channel rejects the whole batch. Idempotent on (channel, time). Answered only after the batch is committed.
         */
        post: operations["ingest.readings"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/oauth/applications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your customer's API clients (admins) */
        get: operations["fluxx.applications.list"];
        put?: never;
        /** Make an API client (admins); its secret is shown only now */
        post: operations["fluxx.applications.create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/oauth/applications/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove an API client; its tokens stop working at once */
        delete: operations["fluxx.applications.delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/oauth/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange client credentials for a two-hour bearer token
         * @description `grant_type=client_credentials`, `client_id`, `client_secret` as a form, multipart fields, a query string or JSON.
         */
        post: operations["fluxx.token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the store is reachable and fully migrated */
        get: operations["health.ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/subscription/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One subscription */
        get: operations["fluent.subscriptionGet"];
        put?: never;
        post?: never;
        /** Cancel a subscription: nothing more is pushed, and it is removed */
        delete: operations["fluent.subscriptionDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/subscription/cancel/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Cancel a subscription: nothing more is pushed, and it is removed */
        delete: operations["fluent.subscriptionCancel"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/subscription/create/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Subscribe a callback URL to data-change and/or alarm events for 10 days */
        post: operations["fluent.subscriptionCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/subscription/deliveries/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A subscription's delivery log, newest first */
        get: operations["fluent.subscriptionDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/subscription/list/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your subscriptions, expired ones included until cancelled */
        get: operations["fluent.subscriptionList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/subscription/renew/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Renew a subscription before it expires: it then expires 10 days from now */
        post: operations["fluent.subscriptionRenew"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/subscription/resend/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Push again one delivery, or every delivery created in [start, end), with the same webhook-id */
        post: operations["fluent.subscriptionResend"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/subscription/rotate-secret/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replace the signing secret */
        post: operations["fluent.subscriptionRotateSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/version": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Versions of this API and of the server */
        get: operations["fluent.version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description An alarm raised on a controller (optionally one channel). Read-only. Blank fields are left out. */
        Fluxx_alarm: {
            /**
             * Format: date-time
             * @description When it was acknowledged
             */
            acknowledged_at?: string;
            /** @description The channel, if any (a channel; with `relation`, an array of them) */
            channel_id?: number;
            /**
             * Format: date-time
             * @description When it was cleared
             */
            cleared_at?: string;
            /** @description Alarm code */
            code?: number;
            /** @description The controller (a controller; with `relation`, an array of them) */
            controller_id?: number;
            /** @description The customer it belongs to (a customer; with `relation`, an array of them) */
            customer_id?: number;
            /** @description Unique id */
            id: number;
            /** @description Alarm text */
            message?: string;
            /**
             * Format: date-time
             * @description When it was raised
             */
            raised_at?: string;
            /** @description info, warning or critical */
            severity?: string;
            /** @description fluent-alarm for alarms the server raises; otherwise the controller's type */
            type?: string;
        };
        /** @description One input or output of a controller. Blank fields are left out. */
        Fluxx_channel: {
            /** @description The controller (set on create) (a controller; with `relation`, an array of them) */
            controller_id?: number;
            /**
             * Format: date-time
             * @description When the record was created
             */
            created_at?: string;
            /** @description The customer it belongs to (a customer; with `relation`, an array of them) */
            customer_id?: number;
            /** @description Unique id */
            id: number;
            /** @description input or output */
            kind?: string;
            /**
             * Format: date-time
             * @description Time of the latest value
             */
            latest_time?: string;
            /** @description Latest value */
            latest_value?: number;
            /** @description Name */
            name?: string;
            /** @description The controller's name for it: S11, R1, … */
            number?: string;
            /** @description The process it is assigned to (a process; with `relation`, an array of them) */
            process_id?: number;
            /** @description conductivity, ph, orp, temperature, flowrate, relay, … */
            type?: string;
            /** @description Unit of its values */
            unit?: string;
        };
        /** @description A device at a facility: a water-treatment controller, or a flow sensor (model flow_sensor). Blank fields are left out. */
        Fluxx_controller: {
            /**
             * Format: date-time
             * @description When the sensor was activated
             */
            activated_at?: string;
            /**
             * Format: date-time
             * @description When the record was created
             */
            created_at?: string;
            /** @description The customer it belongs to (a customer; with `relation`, an array of them) */
            customer_id?: number;
            /** @description The facility it is at (a facility; with `relation`, an array of them) */
            facility_id?: number;
            /** @description Unique id */
            id: number;
            /**
             * Format: date-time
             * @description When the server last accepted data from it
             */
            last_seen_at?: string;
            /** @description Latitude, degrees (flow sensors) */
            latitude?: number;
            /** @description Longitude, degrees (flow sensors) */
            longitude?: number;
            /** @description Model; flow_sensor for FlowCommand flow sensors */
            model?: string;
            /** @description Name */
            name?: string;
            /** @description Pipe diameter, inches (flow sensors) */
            pipe_diameter?: number;
            /** @description Serial number (ten digits for Walchem controllers) */
            serial_number?: string;
            /** @description Free-text label */
            tag?: string;
        };
        /** @description The company receiving service (the tenant). Blank fields are left out. */
        Fluxx_customer: {
            /**
             * Format: date-time
             * @description When the record was created
             */
            created_at?: string;
            /** @description Unique id */
            id: number;
            /** @description Company name */
            name?: string;
        };
        /** @description A site of a customer. Blank fields are left out. */
        Fluxx_facility: {
            /** @description Street address */
            address?: string;
            /**
             * Format: date-time
             * @description When the record was created
             */
            created_at?: string;
            /** @description The customer it belongs to (a customer; with `relation`, an array of them) */
            customer_id?: number;
            /** @description Unique id */
            id: number;
            /** @description Latitude, degrees */
            latitude?: number;
            /** @description Longitude, degrees */
            longitude?: number;
            /** @description Site name */
            name?: string;
            /** @description IANA time zone, e.g. America/Chicago (UTC when not given) */
            time_zone?: string;
        };
        /** @description A group of related inputs and outputs of one controller; only channels in a process have their data stored. Blank fields are left out. */
        Fluxx_process: {
            /** @description The controller (set on create) (a controller; with `relation`, an array of them) */
            controller_id?: number;
            /**
             * Format: date-time
             * @description When the record was created
             */
            created_at?: string;
            /** @description The customer it belongs to (a customer; with `relation`, an array of them) */
            customer_id?: number;
            /** @description Unique id */
            id: number;
            /** @description Name */
            name?: string;
        };
        /** @description One value of a channel at a time (a flow sensor's pings). Read-only. Blank fields are left out. */
        Fluxx_reading: {
            /** @description The channel (a channel; with `relation`, an array of them) */
            channel_id?: number;
            /** @description Unique id */
            id: number;
            /**
             * Format: date-time
             * @description When it was measured
             */
            time?: string;
            /** @description The value */
            value?: number;
        };
        /** @description A Fluent subscription: data-change and alarm events pushed to a callback URL for 10 days. Managed through /subscription/…; read-only here. Blank fields are left out. */
        Fluxx_subscription: {
            /**
             * Format: date-time
             * @description When the record was created
             */
            created_at?: string;
            /** @description The customer it belongs to (a customer; with `relation`, an array of them) */
            customer_id?: number;
            /** @description Why the server disabled it */
            disabled_reason?: string;
            /** @description Whether it delivers */
            enabled?: boolean;
            /** @description data-change, alarm */
            event_types?: string;
            /**
             * Format: date-time
             * @description When it expires
             */
            expires_at?: string;
            /** @description Unique id */
            id: number;
            /** @description Callback URL */
            url?: string;
        };
        /** @description A person who logs in. Password and token hashes are never served. Blank fields are left out. */
        Fluxx_user: {
            /**
             * Format: date-time
             * @description When the API terms were accepted
             */
            api_terms_accepted_at?: string;
            /**
             * Format: date-time
             * @description When the current API token was generated
             */
            api_token_created_at?: string;
            /**
             * Format: date-time
             * @description When the record was created
             */
            created_at?: string;
            /** @description The customer it belongs to (a customer; with `relation`, an array of them) */
            customer_id?: number;
            /** @description Login e-mail address */
            email?: string;
            /** @description Unique id */
            id: number;
            /** @description Name */
            name?: string;
            /** @description admin or user (user when not given) */
            role?: string;
        };
        /** @description A FlowCommand webhook endpoint: a POST for every ping. Managed through /api/v1/webhooks/; read-only here. Blank fields are left out. */
        Fluxx_webhook: {
            /**
             * Format: date-time
             * @description When the record was created
             */
            created_at?: string;
            /** @description The customer it belongs to (a customer; with `relation`, an array of them) */
            customer_id?: number;
            /** @description Why the server disabled it */
            disabled_reason?: string;
            /** @description Whether it delivers */
            enabled?: boolean;
            /**
             * Format: date-time
             * @description Since when deliveries fail
             */
            failing_since?: string;
            /** @description Unique id */
            id: number;
            /** @description URL */
            url?: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    "account.get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        api_terms_accepted_at: string | null;
                        /** Format: date-time */
                        api_token_created_at: string | null;
                        customer_id: number | null;
                        email: string;
                        has_api_token: boolean;
                        id: number;
                        name: string;
                        operator: boolean;
                        role: "admin" | "user";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "account.changePassword": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    current_password: string;
                    new_password: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "account.inspectPasswordLink": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        email: string;
                        /** Format: date-time */
                        expires_at: string;
                        name: string;
                        purpose: "invite" | "reset";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "account.requestPasswordReset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "account.setPassword": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    password: string;
                    token: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        email: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "account.regenerateToken": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Needed (true) for the first token: generating it accepts the API terms, once. */
                    accept_terms?: boolean;
                    /** @description Your current password: needed with the web-app session (HTTP Basic has already checked it). */
                    password?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        created_at: string;
                        /** Format: date-time */
                        terms_accepted_at: string;
                        /** @description Shown once; only a hash is kept. Regenerating it revokes the previous token. */
                        token: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "monitoring.alarms": {
        parameters: {
            query?: {
                active?: boolean;
                controller_id?: number;
                from?: string;
                limit?: number;
                severity?: "info" | "warning" | "critical";
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        alarms: {
                            channel_id: number | null;
                            /** Format: date-time */
                            cleared_at: string | null;
                            code: number;
                            controller_id: number;
                            id: number;
                            message: string;
                            /** Format: date-time */
                            raised_at: string;
                            severity: string;
                            type: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.channels.update": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    kind?: "input" | "output";
                    name?: string;
                    process_id?: number | null;
                    /** @description conductivity, ph, orp, temperature, flowrate, level, relay, pump, valve, … */
                    type?: string;
                    unit?: string | null;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        controller_id: number;
                        /** Format: date-time */
                        created_at: string;
                        id: number;
                        kind: string;
                        name: string;
                        number: string;
                        process_id: number | null;
                        type: string;
                        unit: string | null;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "monitoring.channelReadings": {
        parameters: {
            query?: {
                from?: string;
                limit?: number;
                order?: "asc" | "desc";
                to?: string;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        channel_id: number;
                        readings: {
                            id: number;
                            /** Format: date-time */
                            time: string;
                            value: number;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "monitoring.channelSeries": {
        parameters: {
            query?: {
                from?: string;
                to?: string;
                /** @description About how many points the chart can show (its width in pixels). */
                width?: number;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description One per bucket; null where the bucket had no reading. */
                        avg: (number | null)[];
                        channel_id: number;
                        count: number[];
                        /** Format: date-time */
                        from: string;
                        /** @description Bucket width in seconds, from the ladder 60, 300, 900, 3600, 21600, 86400. */
                        interval: number;
                        /** @description One per bucket; null where the bucket had no reading. */
                        last: (number | null)[];
                        /** @description One per bucket; null where the bucket had no reading. */
                        max: (number | null)[];
                        /** @description One per bucket; null where the bucket had no reading. */
                        min: (number | null)[];
                        /** @description Bucket starts, epoch seconds (UTC), every bucket of [from, to). */
                        t: number[];
                        /** Format: date-time */
                        to: string;
                        unit: string | null;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "monitoring.controllers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        controllers: {
                            channels: {
                                id: number;
                                kind: string;
                                /** Format: date-time */
                                latest_time: string | null;
                                latest_value: number | null;
                                name: string;
                                number: string;
                                process_id: number | null;
                                type: string;
                                unit: string | null;
                            }[];
                            facility_id: number;
                            id: number;
                            /** Format: date-time */
                            last_seen_at: string | null;
                            model: string;
                            name: string;
                            serial_number: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.controllers.register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    activated_at?: string | null;
                    /** @description A flow sensor without channels gets process `Flow` with input S1 (flowrate, bbl/day). */
                    channels?: {
                        kind?: "input" | "output";
                        name?: string;
                        number: string;
                        process?: string | null;
                        /** @description conductivity, ph, orp, temperature, flowrate, level, relay, pump, valve, … */
                        type: string;
                        unit?: string | null;
                    }[];
                    facility_id: number;
                    latitude?: number | null;
                    longitude?: number | null;
                    /** @description The model; `flow_sensor` makes a FlowCommand flow sensor */
                    model: string;
                    name: string;
                    /** @description inches (flow sensors) */
                    pipe_diameter?: number | null;
                    processes?: {
                        name: string;
                    }[];
                    serial_number: string;
                    tag?: string | null;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        channels: {
                            controller_id: number;
                            /** Format: date-time */
                            created_at: string;
                            id: number;
                            kind: string;
                            name: string;
                            number: string;
                            process_id: number | null;
                            type: string;
                            unit: string | null;
                        }[];
                        controller: {
                            /** Format: date-time */
                            activated_at: string | null;
                            /** Format: date-time */
                            created_at: string;
                            customer_id: number;
                            facility_id: number;
                            id: number;
                            /** Format: date-time */
                            last_seen_at: string | null;
                            latitude: number | null;
                            longitude: number | null;
                            model: string;
                            name: string;
                            pipe_diameter: number | null;
                            serial_number: string;
                            tag: string | null;
                        };
                        ingest_key: {
                            ingest_key: {
                                controller_id: number;
                                /** Format: date-time */
                                created_at: string;
                                /** Format: date-time */
                                expires_at: string | null;
                                id: number;
                                /** @description The first characters of the key, to tell keys apart */
                                prefix: string;
                                /** Format: date-time */
                                revoked_at: string | null;
                                state: "active" | "expiring" | "expired" | "revoked";
                            };
                            /** @description The ingest key: shown once, only a hash is kept. Devices send it as `Authorization: Bearer <key>`. */
                            key: string;
                        };
                        processes: {
                            controller_id: number;
                            /** Format: date-time */
                            created_at: string;
                            id: number;
                            name: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.controllers.get": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        channels: {
                            controller_id: number;
                            /** Format: date-time */
                            created_at: string;
                            id: number;
                            kind: string;
                            name: string;
                            number: string;
                            process_id: number | null;
                            type: string;
                            unit: string | null;
                        }[];
                        controller: {
                            /** Format: date-time */
                            activated_at: string | null;
                            /** Format: date-time */
                            created_at: string;
                            customer_id: number;
                            facility_id: number;
                            id: number;
                            /** Format: date-time */
                            last_seen_at: string | null;
                            latitude: number | null;
                            longitude: number | null;
                            model: string;
                            name: string;
                            pipe_diameter: number | null;
                            serial_number: string;
                            tag: string | null;
                        };
                        processes: {
                            controller_id: number;
                            /** Format: date-time */
                            created_at: string;
                            id: number;
                            name: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.controllers.update": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    activated_at?: string | null;
                    facility_id?: number;
                    latitude?: number | null;
                    longitude?: number | null;
                    /** @description The model; `flow_sensor` makes a FlowCommand flow sensor */
                    model?: string;
                    name?: string;
                    /** @description inches (flow sensors) */
                    pipe_diameter?: number | null;
                    tag?: string | null;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        activated_at: string | null;
                        /** Format: date-time */
                        created_at: string;
                        customer_id: number;
                        facility_id: number;
                        id: number;
                        /** Format: date-time */
                        last_seen_at: string | null;
                        latitude: number | null;
                        longitude: number | null;
                        model: string;
                        name: string;
                        pipe_diameter: number | null;
                        serial_number: string;
                        tag: string | null;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.channels.create": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    kind?: "input" | "output";
                    name?: string;
                    number: string;
                    process_id?: number | null;
                    /** @description conductivity, ph, orp, temperature, flowrate, level, relay, pump, valve, … */
                    type: string;
                    unit?: string | null;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        controller_id: number;
                        /** Format: date-time */
                        created_at: string;
                        id: number;
                        kind: string;
                        name: string;
                        number: string;
                        process_id: number | null;
                        type: string;
                        unit: string | null;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.ingestKeys.list": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        ingest_keys: {
                            controller_id: number;
                            /** Format: date-time */
                            created_at: string;
                            /** Format: date-time */
                            expires_at: string | null;
                            id: number;
                            /** @description The first characters of the key, to tell keys apart */
                            prefix: string;
                            /** Format: date-time */
                            revoked_at: string | null;
                            state: "active" | "expiring" | "expired" | "revoked";
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.ingestKeys.rotate": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description How long the previous keys keep working (0: they stop now; at most 30 days)
                     * @default 0
                     */
                    overlap_seconds?: number;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        ingest_key: {
                            controller_id: number;
                            /** Format: date-time */
                            created_at: string;
                            /** Format: date-time */
                            expires_at: string | null;
                            id: number;
                            /** @description The first characters of the key, to tell keys apart */
                            prefix: string;
                            /** Format: date-time */
                            revoked_at: string | null;
                            state: "active" | "expiring" | "expired" | "revoked";
                        };
                        /** @description The ingest key: shown once, only a hash is kept. Devices send it as `Authorization: Bearer <key>`. */
                        key: string;
                        /** Format: date-time */
                        previous_keys_stop_at: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.ingestKeys.revokeAll": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        revoked: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.ingestKeys.revoke": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
                keyId: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        revoked: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.processes.create": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        controller_id: number;
                        /** Format: date-time */
                        created_at: string;
                        id: number;
                        name: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.customers.list": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        customers: {
                            /** Format: date-time */
                            created_at: string;
                            disabled: boolean;
                            /** Format: date-time */
                            disabled_at: string | null;
                            id: number;
                            name: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.customers.create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        created_at: string;
                        disabled: boolean;
                        /** Format: date-time */
                        disabled_at: string | null;
                        id: number;
                        name: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.customers.get": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        created_at: string;
                        disabled: boolean;
                        /** Format: date-time */
                        disabled_at: string | null;
                        id: number;
                        name: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.customers.update": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Disabling stops every token, ingest key and webhook of the customer at once; its data is kept. */
                    disabled?: boolean;
                    name?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        created_at: string;
                        disabled: boolean;
                        /** Format: date-time */
                        disabled_at: string | null;
                        id: number;
                        name: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.facilities.list": {
        parameters: {
            query?: {
                /** @description Platform operators name the customer; an admin may leave it out (their own). */
                customer_id?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        facilities: {
                            address: string | null;
                            /** Format: date-time */
                            created_at: string;
                            customer_id: number;
                            id: number;
                            latitude: number | null;
                            longitude: number | null;
                            name: string;
                            time_zone: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.facilities.create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    address?: string | null;
                    /** @description Platform operators name the customer; an admin may leave it out (their own). */
                    customer_id?: number;
                    latitude?: number | null;
                    longitude?: number | null;
                    name: string;
                    /** @description IANA time zone, e.g. America/Chicago (UTC when not given) */
                    time_zone?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        address: string | null;
                        /** Format: date-time */
                        created_at: string;
                        customer_id: number;
                        id: number;
                        latitude: number | null;
                        longitude: number | null;
                        name: string;
                        time_zone: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.facilities.get": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        address: string | null;
                        /** Format: date-time */
                        created_at: string;
                        customer_id: number;
                        id: number;
                        latitude: number | null;
                        longitude: number | null;
                        name: string;
                        time_zone: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.facilities.update": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    address?: string | null;
                    latitude?: number | null;
                    longitude?: number | null;
                    name?: string;
                    /** @description IANA time zone, e.g. America/Chicago (UTC when not given) */
                    time_zone?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        address: string | null;
                        /** Format: date-time */
                        created_at: string;
                        customer_id: number;
                        id: number;
                        latitude: number | null;
                        longitude: number | null;
                        name: string;
                        time_zone: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "onboarding.processes.update": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        controller_id: number;
                        /** Format: date-time */
                        created_at: string;
                        id: number;
                        name: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "session.get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        account: {
                            /** Format: date-time */
                            api_terms_accepted_at: string | null;
                            /** Format: date-time */
                            api_token_created_at: string | null;
                            customer_id: number | null;
                            email: string;
                            has_api_token: boolean;
                            id: number;
                            name: string;
                            operator: boolean;
                            role: "admin" | "user";
                        } | null;
                        /** @description Send it as `X-CSRF-Token` with every request that changes something; null when signed out. */
                        csrf_token: string | null;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "session.create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        account: {
                            /** Format: date-time */
                            api_terms_accepted_at: string | null;
                            /** Format: date-time */
                            api_token_created_at: string | null;
                            customer_id: number | null;
                            email: string;
                            has_api_token: boolean;
                            id: number;
                            name: string;
                            operator: boolean;
                            role: "admin" | "user";
                        };
                        /** @description Send it as `X-CSRF-Token` with every request that changes something (any method but GET, HEAD, OPTIONS). */
                        csrf_token: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "session.delete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "accounts.users.list": {
        parameters: {
            query?: {
                /** @description Platform operators name the customer; an admin may leave it out (their own). */
                customer_id?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        users: {
                            /** Format: date-time */
                            api_terms_accepted_at: string | null;
                            /** Format: date-time */
                            api_token_created_at: string | null;
                            /** Format: date-time */
                            created_at: string;
                            customer_id: number | null;
                            disabled: boolean;
                            /** Format: date-time */
                            disabled_at: string | null;
                            email: string;
                            has_api_token: boolean;
                            /** @description False until an invited user sets a password through their link */
                            has_password: boolean;
                            id: number;
                            name: string;
                            operator: boolean;
                            role: "admin" | "user";
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "accounts.users.invite": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Platform operators name the customer; an admin may leave it out (their own). */
                    customer_id?: number;
                    email: string;
                    name?: string;
                    /** @description Platform operators only: invite another operator (no customer) */
                    operator?: boolean;
                    role?: "admin" | "user";
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        set_password_link: {
                            /** Format: date-time */
                            expires_at: string;
                            /** @description Whether it was e-mailed to the user (mail is configured with SMTP_URL) */
                            mailed: boolean;
                            purpose: "invite" | "reset";
                            /** @description The set-password page; the one-time token is in the fragment (#token=…) */
                            url: string;
                        };
                        user: {
                            /** Format: date-time */
                            api_terms_accepted_at: string | null;
                            /** Format: date-time */
                            api_token_created_at: string | null;
                            /** Format: date-time */
                            created_at: string;
                            customer_id: number | null;
                            disabled: boolean;
                            /** Format: date-time */
                            disabled_at: string | null;
                            email: string;
                            has_api_token: boolean;
                            /** @description False until an invited user sets a password through their link */
                            has_password: boolean;
                            id: number;
                            name: string;
                            operator: boolean;
                            role: "admin" | "user";
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "accounts.users.get": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        api_terms_accepted_at: string | null;
                        /** Format: date-time */
                        api_token_created_at: string | null;
                        /** Format: date-time */
                        created_at: string;
                        customer_id: number | null;
                        disabled: boolean;
                        /** Format: date-time */
                        disabled_at: string | null;
                        email: string;
                        has_api_token: boolean;
                        /** @description False until an invited user sets a password through their link */
                        has_password: boolean;
                        id: number;
                        name: string;
                        operator: boolean;
                        role: "admin" | "user";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "accounts.users.update": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Disabling stops the user's password and token at once */
                    disabled?: boolean;
                    name?: string;
                    role?: "admin" | "user";
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        api_terms_accepted_at: string | null;
                        /** Format: date-time */
                        api_token_created_at: string | null;
                        /** Format: date-time */
                        created_at: string;
                        customer_id: number | null;
                        disabled: boolean;
                        /** Format: date-time */
                        disabled_at: string | null;
                        email: string;
                        has_api_token: boolean;
                        /** @description False until an invited user sets a password through their link */
                        has_password: boolean;
                        id: number;
                        name: string;
                        operator: boolean;
                        role: "admin" | "user";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "accounts.users.passwordLink": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        set_password_link: {
                            /** Format: date-time */
                            expires_at: string;
                            /** @description Whether it was e-mailed to the user (mail is configured with SMTP_URL) */
                            mailed: boolean;
                            purpose: "invite" | "reset";
                            /** @description The set-password page; the one-time token is in the fragment (#token=…) */
                            url: string;
                        };
                        user: {
                            /** Format: date-time */
                            api_terms_accepted_at: string | null;
                            /** Format: date-time */
                            api_token_created_at: string | null;
                            /** Format: date-time */
                            created_at: string;
                            customer_id: number | null;
                            disabled: boolean;
                            /** Format: date-time */
                            disabled_at: string | null;
                            email: string;
                            has_api_token: boolean;
                            /** @description False until an invited user sets a password through their link */
                            has_password: boolean;
                            id: number;
                            name: string;
                            operator: boolean;
                            role: "admin" | "user";
                        };
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "webhookTools.deliveries": {
        parameters: {
            query?: {
                before?: number;
                limit?: number;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        deliveries: {
                            attempts: number;
                            /** Format: date-time */
                            created_at: string;
                            /** Format: date-time */
                            delivered_at: string | null;
                            event_type: string;
                            id: number;
                            /** Format: date-time */
                            last_attempt_at: string | null;
                            last_error: string | null;
                            latency_ms: number | null;
                            /**
                             * Format: date-time
                             * @description When a pending delivery is tried next
                             */
                            next_attempt_at: string | null;
                            response_code: number | null;
                            status: "pending" | "delivered" | "failed";
                            /** @description The `webhook-id` header: the same for every attempt and re-send of this event */
                            webhook_id: string;
                        }[];
                        endpoint_id: number;
                        next_before: number | null;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "webhookTools.setEnabled": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    enabled: boolean;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Why the server disabled the endpoint (its deliveries kept failing) */
                        disabled_reason: string | null;
                        enabled: boolean;
                        id: number;
                        kind: "flowcommand" | "fluent";
                        /** Format: date-time */
                        updated_at: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "webhookTools.sendTest": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        created_at: string;
                        /** @description The delivery in the endpoint’s log */
                        delivery_id: number;
                        endpoint_id: number;
                        /** @enum {string} */
                        event_type: "test";
                        kind: "flowcommand" | "fluent";
                        /** @description The `webhook-id` header the receiver gets */
                        webhook_id: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.index": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description One of customer, facility, controller, process, channel, reading, alarm, user, subscription, webhook */
                model_type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        current_page: number;
                        per_page: number;
                        records: {
                            [key: string]: (components["schemas"]["Fluxx_customer"] | components["schemas"]["Fluxx_facility"] | components["schemas"]["Fluxx_controller"] | components["schemas"]["Fluxx_process"] | components["schemas"]["Fluxx_channel"] | components["schemas"]["Fluxx_reading"] | components["schemas"]["Fluxx_alarm"] | components["schemas"]["Fluxx_user"] | components["schemas"]["Fluxx_subscription"] | components["schemas"]["Fluxx_webhook"])[];
                        };
                        total_entries: number;
                        total_pages: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.create": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description One of customer, facility, controller, process, channel, reading, alarm, user, subscription, webhook */
                model_type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: components["schemas"]["Fluxx_customer"] | components["schemas"]["Fluxx_facility"] | components["schemas"]["Fluxx_controller"] | components["schemas"]["Fluxx_process"] | components["schemas"]["Fluxx_channel"] | components["schemas"]["Fluxx_reading"] | components["schemas"]["Fluxx_alarm"] | components["schemas"]["Fluxx_user"] | components["schemas"]["Fluxx_subscription"] | components["schemas"]["Fluxx_webhook"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.get": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                /** @description One of customer, facility, controller, process, channel, reading, alarm, user, subscription, webhook */
                model_type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: components["schemas"]["Fluxx_customer"] | components["schemas"]["Fluxx_facility"] | components["schemas"]["Fluxx_controller"] | components["schemas"]["Fluxx_process"] | components["schemas"]["Fluxx_channel"] | components["schemas"]["Fluxx_reading"] | components["schemas"]["Fluxx_alarm"] | components["schemas"]["Fluxx_user"] | components["schemas"]["Fluxx_subscription"] | components["schemas"]["Fluxx_webhook"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.update": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                /** @description One of customer, facility, controller, process, channel, reading, alarm, user, subscription, webhook */
                model_type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: components["schemas"]["Fluxx_customer"] | components["schemas"]["Fluxx_facility"] | components["schemas"]["Fluxx_controller"] | components["schemas"]["Fluxx_process"] | components["schemas"]["Fluxx_channel"] | components["schemas"]["Fluxx_reading"] | components["schemas"]["Fluxx_alarm"] | components["schemas"]["Fluxx_user"] | components["schemas"]["Fluxx_subscription"] | components["schemas"]["Fluxx_webhook"];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.delete": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                /** @description One of customer, facility, controller, process, channel, reading, alarm, user, subscription, webhook */
                model_type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": true;
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.list": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description One of customer, facility, controller, process, channel, reading, alarm, user, subscription, webhook */
                model_type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        current_page: number;
                        per_page: number;
                        records: {
                            [key: string]: (components["schemas"]["Fluxx_customer"] | components["schemas"]["Fluxx_facility"] | components["schemas"]["Fluxx_controller"] | components["schemas"]["Fluxx_process"] | components["schemas"]["Fluxx_channel"] | components["schemas"]["Fluxx_reading"] | components["schemas"]["Fluxx_alarm"] | components["schemas"]["Fluxx_user"] | components["schemas"]["Fluxx_subscription"] | components["schemas"]["Fluxx_webhook"])[];
                        };
                        total_entries: number;
                        total_pages: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.doc": {
        parameters: {
            query?: {
                format?: "json";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An HTML page; JSON with ?format=json */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.classDoc": {
        parameters: {
            query?: {
                format?: "json";
            };
            header?: never;
            path: {
                /** @description One of customer, facility, controller, process, channel, reading, alarm, user, subscription, webhook */
                model_type: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An HTML page; JSON with ?format=json */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "flowcommand.flowSensors.list": {
        parameters: {
            query?: {
                page?: string | string[];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        count: number;
                        next: string | null;
                        previous: string | null;
                        results: {
                            /**
                             * @description Datetime of when the sensor was activated
                             * @example 2019-02-05T20:41:02Z
                             */
                            activated_at: string | null;
                            /** @description ID of the flow sensor */
                            id: number;
                            /**
                             * @description Datetime of most recent ping in UTC
                             * @example 2019-02-05T20:41:02Z
                             */
                            last_ping_datetime: string | null;
                            /** @description Flowrate in bbls/day from most recent ping */
                            last_ping_flowrate: number | null;
                            /** @description Latitude GPS coordinate of sensor */
                            latitude: number | null;
                            /** @description Longitude GPS coordinate of sensor */
                            longitude: number | null;
                            /** @description Name of flow sensor */
                            name: string;
                            /** @description Diameter of pipe in inches */
                            pipe_diameter: number | null;
                            /** @description Free-text label */
                            tag: string | null;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.flowSensors.get": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description Datetime of when the sensor was activated
                         * @example 2019-02-05T20:41:02Z
                         */
                        activated_at: string | null;
                        /** @description ID of the flow sensor */
                        id: number;
                        /**
                         * @description Datetime of most recent ping in UTC
                         * @example 2019-02-05T20:41:02Z
                         */
                        last_ping_datetime: string | null;
                        /** @description Flowrate in bbls/day from most recent ping */
                        last_ping_flowrate: number | null;
                        /** @description Latitude GPS coordinate of sensor */
                        latitude: number | null;
                        /** @description Longitude GPS coordinate of sensor */
                        longitude: number | null;
                        /** @description Name of flow sensor */
                        name: string;
                        /** @description Diameter of pipe in inches */
                        pipe_diameter: number | null;
                        /** @description Free-text label */
                        tag: string | null;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.flowSensors.flowVolumeHours": {
        parameters: {
            query?: {
                page?: string | string[];
            };
            header?: never;
            path: {
                end: string;
                id: string;
                start: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        count: number;
                        next: string | null;
                        previous: string | null;
                        results: {
                            /**
                             * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                             * @example 2019-02-05T20:41:02Z
                             */
                            end: string;
                            /** @description Barrels between start and end */
                            flow_volume: number;
                            sensor_id: number;
                            sensor_name: string;
                            sensor_tag: string | null;
                            /**
                             * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                             * @example 2019-02-05T20:41:02Z
                             */
                            start: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.flowSensors.flowVolume": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                end: string;
                id: string;
                start: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        end: string;
                        /** @description Barrels between start and end */
                        flow_volume: number;
                        sensor_id: number;
                        sensor_name: string;
                        sensor_tag: string | null;
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        start: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.flowSensors.pings": {
        parameters: {
            query?: {
                end?: string | string[];
                page?: string | string[];
                start?: string | string[];
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        count: number;
                        next: string | null;
                        previous: string | null;
                        results: {
                            /**
                             * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                             * @example 2019-02-05T20:41:02Z
                             */
                            datetime: string;
                            /** @description Flowrate in bbls/day at time of ping */
                            flowrate: number;
                            /** @description ID of the ping */
                            id: number;
                            /** @description ID of associated flow sensor */
                            sensor_id: number;
                            /** @description Name of associated flow sensor */
                            sensor_name: string;
                            sensor_tag: string | null;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.list": {
        parameters: {
            query?: {
                page?: string | string[];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        count: number;
                        next: string | null;
                        previous: string | null;
                        results: {
                            /**
                             * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                             * @example 2019-02-05T20:41:02Z
                             */
                            created_at: string;
                            /** @description Why the server disabled the endpoint (its deliveries kept failing) */
                            disabled_reason: string | null;
                            enabled: boolean;
                            /** @description Always `["ping_received"]` */
                            event_types: string[];
                            /**
                             * @description Since when every delivery has failed
                             * @example 2019-02-05T20:41:02Z
                             */
                            failing_since: string | null;
                            id: number;
                            /**
                             * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                             * @example 2019-02-05T20:41:02Z
                             */
                            updated_at: string;
                            url: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    enabled?: boolean;
                    /** @description http(s) URL that receives the POSTs */
                    url: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        created_at: string;
                        /** @description Why the server disabled the endpoint (its deliveries kept failing) */
                        disabled_reason: string | null;
                        enabled: boolean;
                        /** @description Always `["ping_received"]` */
                        event_types: string[];
                        /**
                         * @description Since when every delivery has failed
                         * @example 2019-02-05T20:41:02Z
                         */
                        failing_since: string | null;
                        id: number;
                        /** @description Sent as `FC-Signature` and the Standard Webhooks signing key. Shown only now. */
                        secret: string;
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        updated_at: string;
                        url: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.get": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        created_at: string;
                        /** @description Why the server disabled the endpoint (its deliveries kept failing) */
                        disabled_reason: string | null;
                        enabled: boolean;
                        /** @description Always `["ping_received"]` */
                        event_types: string[];
                        /**
                         * @description Since when every delivery has failed
                         * @example 2019-02-05T20:41:02Z
                         */
                        failing_since: string | null;
                        id: number;
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        updated_at: string;
                        url: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.update": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    enabled?: boolean;
                    /** @description http(s) URL that receives the POSTs */
                    url: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        created_at: string;
                        /** @description Why the server disabled the endpoint (its deliveries kept failing) */
                        disabled_reason: string | null;
                        enabled: boolean;
                        /** @description Always `["ping_received"]` */
                        event_types: string[];
                        /**
                         * @description Since when every delivery has failed
                         * @example 2019-02-05T20:41:02Z
                         */
                        failing_since: string | null;
                        id: number;
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        updated_at: string;
                        url: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.delete": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.partialUpdate": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    enabled?: boolean;
                    /** @description http(s) URL that receives the POSTs */
                    url?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        created_at: string;
                        /** @description Why the server disabled the endpoint (its deliveries kept failing) */
                        disabled_reason: string | null;
                        enabled: boolean;
                        /** @description Always `["ping_received"]` */
                        event_types: string[];
                        /**
                         * @description Since when every delivery has failed
                         * @example 2019-02-05T20:41:02Z
                         */
                        failing_since: string | null;
                        id: number;
                        /**
                         * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                         * @example 2019-02-05T20:41:02Z
                         */
                        updated_at: string;
                        url: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.deliveries": {
        parameters: {
            query?: {
                page?: string | string[];
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        count: number;
                        next: string | null;
                        previous: string | null;
                        results: {
                            attempts: number;
                            /**
                             * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                             * @example 2019-02-05T20:41:02Z
                             */
                            created_at: string;
                            /**
                             * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                             * @example 2019-02-05T20:41:02Z
                             */
                            delivered_at: string | null;
                            event_type: string;
                            id: number;
                            /**
                             * @description UTC, `YYYY-MM-DDTHH:MM:SSZ`
                             * @example 2019-02-05T20:41:02Z
                             */
                            last_attempt_at: string | null;
                            last_error: string | null;
                            latency_ms: number | null;
                            /**
                             * @description When a pending delivery is tried next
                             * @example 2019-02-05T20:41:02Z
                             */
                            next_attempt_at: string | null;
                            response_code: number | null;
                            /** @enum {string} */
                            status: "pending" | "delivered" | "failed";
                            /** @description The `webhook-id` header: the same for every attempt of this event */
                            webhook_id: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.resendOne": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                delivery: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        resent: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.resendRange": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    end: string;
                    start: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        resent: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "flowcommand.webhooks.rotateSecret": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        secret: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        detail: string;
                    };
                };
            };
        };
    };
    "fluent.activeAlarms": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The controller serial number, e.g. `1903291361` */
                serial: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        "alarm-info": {
                            /** @description Integer alarm code */
                            "alarm-id": number;
                            /** @enum {string} */
                            "alarm-severity": "info" | "warning" | "critical";
                            "alarm-text": string;
                            /** @description `fluent-alarm` for alarms the server raises itself (no data received); otherwise the controller's alarm type */
                            "alarm-type": string;
                            /** @description Empty for an alarm of the whole controller */
                            "channel-name": string;
                            /** @description Empty for an alarm of the whole controller */
                            "channel-number": string;
                            /**
                             * Format: date-time
                             * @description UTC, ISO 8601 with milliseconds and `Z`
                             */
                            "cleared-at"?: string;
                            /**
                             * Format: date-time
                             * @description UTC, ISO 8601 with milliseconds and `Z`
                             */
                            "raised-at": string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.alarmHistory": {
        parameters: {
            query?: {
                /** @description `next-cursor` of the previous page */
                cursor?: string;
                /** @description Alarms raised before this time */
                end?: string;
                /** @description Alarms per page */
                limit?: number;
                /** @description `info`, `warning`, `critical`; repeat or separate with commas. Default: all. */
                severity?: string[];
                /** @description Alarms raised at or after this time */
                start?: string;
            };
            header?: never;
            path: {
                /** @description The controller serial number, e.g. `1903291361` */
                serial: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Newest first */
                        "alarm-info": {
                            /** @description Integer alarm code */
                            "alarm-id": number;
                            /** @enum {string} */
                            "alarm-severity": "info" | "warning" | "critical";
                            "alarm-text": string;
                            /** @description `fluent-alarm` for alarms the server raises itself (no data received); otherwise the controller's alarm type */
                            "alarm-type": string;
                            /** @description Empty for an alarm of the whole controller */
                            "channel-name": string;
                            /** @description Empty for an alarm of the whole controller */
                            "channel-number": string;
                            /**
                             * Format: date-time
                             * @description UTC, ISO 8601 with milliseconds and `Z`
                             */
                            "cleared-at"?: string;
                            /**
                             * Format: date-time
                             * @description UTC, ISO 8601 with milliseconds and `Z`
                             */
                            "raised-at": string;
                        }[];
                        "next-cursor": string | null;
                        "serial-number": string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.currentReadings": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The controller serial number, e.g. `1903291361` */
                serial: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        readings: {
                            "channel-name": string;
                            /** @description Inputs `S…`, relay outputs `R1…` */
                            "channel-number": string;
                            /** @description What the channel measures or drives: conductivity, ph, orp, temperature, flowrate, relay… */
                            "channel-type": string;
                            /** @description Absent while the channel has no value (e.g. a relay never reported) */
                            subchannel?: {
                                /**
                                 * Format: date-time
                                 * @description UTC, ISO 8601 with milliseconds and `Z`
                                 */
                                time?: string;
                                /** @description `value` for an input, `state` for an output */
                                type: string;
                                /** @description Absent when the channel has no unit */
                                units?: string;
                                value: number;
                            }[];
                        }[];
                        "serial-number": string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.hierarchy": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The controller serial number, e.g. `1903291361` */
                serial: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        "controller-name": string;
                        customer: {
                            "customer-id": number;
                            "customer-name": string;
                        };
                        facility: {
                            address: string | null;
                            "facility-id": number;
                            "facility-name": string;
                            latitude: number | null;
                            longitude: number | null;
                            "time-zone": string;
                        };
                        /**
                         * Format: date-time
                         * @description UTC, ISO 8601 with milliseconds and `Z`
                         */
                        "last-seen-at": string | null;
                        model: string;
                        processes: {
                            channels: {
                                /** @enum {string} */
                                "channel-kind": "input" | "output";
                                "channel-name": string;
                                "channel-number": string;
                                "channel-type": string;
                                "process-id": number;
                                units?: string;
                            }[];
                            "process-id": number;
                            "process-name": string;
                        }[];
                        "serial-number": string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.controllerList": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Serial numbers of the controllers you can see */
                        "controller-list": string[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.readings": {
        parameters: {
            query?: {
                /** @description Channel numbers (`S11`, `R1`); repeat the parameter or separate with commas. Default: all. */
                channel?: string[];
                /** @description `next-cursor` of the previous page */
                cursor?: string;
                /** @description Exclusive end, ISO 8601 (no offset means UTC). Default: now. */
                end?: string;
                /** @description Downsample into buckets this long: seconds, or a number with `s`, `m`, `h` or `d` (`15m`, `1h`, `1d`). Buckets start at whole multiples of it since the epoch, in UTC. */
                interval?: string;
                /** @description Rows per page (raw), or intervals per page (downsampled) */
                limit?: number;
                /** @description Oldest first (`asc`, default) or newest first */
                order?: "asc" | "desc";
                /** @description Only the channels of this process */
                process?: number;
                /** @description Inclusive start, ISO 8601 (no offset means UTC). Default: 24 hours before `end`. */
                start?: string;
            };
            header?: never;
            path: {
                /** @description The controller serial number, e.g. `1903291361` */
                serial: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        channels: {
                            /** @enum {string} */
                            "channel-kind": "input" | "output";
                            "channel-name": string;
                            "channel-number": string;
                            "channel-type": string;
                            "process-id": number;
                            units?: string;
                        }[];
                        /**
                         * Format: date-time
                         * @description UTC, ISO 8601 with milliseconds and `Z`
                         */
                        end: string;
                        /** @description Seconds, when downsampled */
                        interval?: number;
                        /** @description When `interval` is given: one row per channel and interval with data */
                        intervals?: {
                            avg: number;
                            "channel-number": string;
                            count: number;
                            /** @description Value of the latest reading in the interval */
                            last: number;
                            max: number;
                            min: number;
                            /**
                             * Format: date-time
                             * @description Start of the interval
                             */
                            time: string;
                        }[];
                        /** @description Pass as `cursor` for the next page; null on the last page */
                        "next-cursor": string | null;
                        order: string;
                        /** @description Raw readings, ordered by time then channel */
                        readings?: {
                            "channel-number": string;
                            /**
                             * Format: date-time
                             * @description UTC, ISO 8601 with milliseconds and `Z`
                             */
                            time: string;
                            value: number;
                        }[];
                        "serial-number": string;
                        /**
                         * Format: date-time
                         * @description UTC, ISO 8601 with milliseconds and `Z`
                         */
                        start: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "health.live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: string;
                    };
                };
            };
        };
    };
    "ingest.readings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    alarms?: {
                        channel?: string;
                        code: number;
                        event: "raise" | "clear";
                        message?: string;
                        severity?: "info" | "warning" | "critical";
                        time: string;
                        type?: string;
                    }[];
                    readings?: {
                        channel: string;
                        time: string;
                        value: number;
                    }[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        alarms: {
                            cleared: number;
                            ignored: number;
                            raised: number;
                        };
                        /** @description Serial number of the controller the ingest key belongs to */
                        controller: string;
                        /** @description Readings whose (channel, time) was already stored; left unchanged */
                        duplicates: number;
                        not_stored: {
                            channel: string;
                            index: number;
                            reason: string;
                        }[];
                        received: number;
                        stored: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: string;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.applications.list": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        applications: {
                            client_id: string;
                            created_at: string;
                            id: number;
                            name: string;
                            role: string;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.applications.create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    role?: "user" | "admin";
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        client_id: string;
                        client_secret: string;
                        created_at: string;
                        id: number;
                        name: string;
                        role: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.applications.delete": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            code: number;
                            message: string;
                        };
                    };
                };
            };
        };
    };
    "fluxx.token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        access_token: string;
                        expires_in: number;
                        /** @enum {string} */
                        token_type: "bearer";
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: string;
                        error_description: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: string;
                        error_description: string;
                    };
                };
            };
        };
    };
    "health.ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready to serve data */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        migration: string | null;
                        status: string;
                        store: string;
                    };
                };
            };
            /** @description The store is unreachable or has migrations pending */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        migration: string | null;
                        status: string;
                        store: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionGet": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        "callback-url": string;
                        /** Format: date-time */
                        "created-at": string;
                        "disabled-reason"?: string;
                        "event-types": ("data-change" | "alarm")[];
                        /** Format: date-time */
                        "expires-at": string;
                        "process-ids": number[];
                        /** Format: date-time */
                        "renewed-at": string;
                        /** @description Controllers whose events are pushed; empty with no processes means all of yours */
                        "serial-numbers": string[];
                        /**
                         * @description `expired` 10 days after creation or the last renewal; `disabled` when deliveries kept failing
                         * @enum {string}
                         */
                        status: "active" | "expired" | "disabled";
                        "subscription-id": number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionDelete": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "cancelled";
                        "subscription-id": number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionCancel": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "cancelled";
                        "subscription-id": number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionCreate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description http(s) URL the events are POSTed to */
                    "callback-url": string;
                    /** @description `data-change`, `alarm` */
                    "event-types": string[];
                    "process-ids"?: number[];
                    "serial-numbers"?: string[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        "callback-url": string;
                        /** Format: date-time */
                        "created-at": string;
                        "disabled-reason"?: string;
                        "event-types": ("data-change" | "alarm")[];
                        /** Format: date-time */
                        "expires-at": string;
                        "process-ids": number[];
                        /** Format: date-time */
                        "renewed-at": string;
                        /** @description Standard Webhooks signing key (`whsec_…`) for `webhook-signature`. Shown only now. */
                        secret: string;
                        /** @description Controllers whose events are pushed; empty with no processes means all of yours */
                        "serial-numbers": string[];
                        /**
                         * @description `expired` 10 days after creation or the last renewal; `disabled` when deliveries kept failing
                         * @enum {string}
                         */
                        status: "active" | "expired" | "disabled";
                        "subscription-id": number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionDeliveries": {
        parameters: {
            query?: {
                /** @description `next-cursor` of the previous page */
                cursor?: number;
                limit?: number;
            };
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        deliveries: {
                            attempts: number;
                            /** Format: date-time */
                            "created-at": string;
                            /** Format: date-time */
                            "delivered-at"?: string;
                            "delivery-id": number;
                            /**
                             * @description `test`: sent by POST /api/flowline/v1/webhook-endpoints/{id}/test
                             * @enum {string}
                             */
                            "event-type": "data-change" | "alarm" | "test";
                            /** Format: date-time */
                            "last-attempt-at"?: string;
                            "last-error"?: string;
                            "latency-ms"?: number;
                            /** Format: date-time */
                            "next-attempt-at"?: string;
                            "response-code"?: number;
                            /** @enum {string} */
                            status: "pending" | "delivered" | "failed";
                            /** @description The `webhook-id` header: the same for every attempt of this event */
                            "webhook-id": string;
                        }[];
                        "next-cursor": number | null;
                        "subscription-id": number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionList": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        "subscription-list": {
                            "callback-url": string;
                            /** Format: date-time */
                            "created-at": string;
                            "disabled-reason"?: string;
                            "event-types": ("data-change" | "alarm")[];
                            /** Format: date-time */
                            "expires-at": string;
                            "process-ids": number[];
                            /** Format: date-time */
                            "renewed-at": string;
                            /** @description Controllers whose events are pushed; empty with no processes means all of yours */
                            "serial-numbers": string[];
                            /**
                             * @description `expired` 10 days after creation or the last renewal; `disabled` when deliveries kept failing
                             * @enum {string}
                             */
                            status: "active" | "expired" | "disabled";
                            "subscription-id": number;
                        }[];
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionRenew": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        "callback-url": string;
                        /** Format: date-time */
                        "created-at": string;
                        "disabled-reason"?: string;
                        "event-types": ("data-change" | "alarm")[];
                        /** Format: date-time */
                        "expires-at": string;
                        "process-ids": number[];
                        /** Format: date-time */
                        "renewed-at": string;
                        /** @description Controllers whose events are pushed; empty with no processes means all of yours */
                        "serial-numbers": string[];
                        /**
                         * @description `expired` 10 days after creation or the last renewal; `disabled` when deliveries kept failing
                         * @enum {string}
                         */
                        status: "active" | "expired" | "disabled";
                        "subscription-id": number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionResend": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    "delivery-id": number;
                } | {
                    end: string;
                    start: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        resent: number;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.subscriptionRotateSecret": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        secret: string;
                    };
                };
            };
            /** @description Default Response */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
    "fluent.version": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Version of the Fluent Client API this face implements */
                        "api-version": string;
                        /** @description The source revision the server was built from, or `unknown` */
                        build: string;
                        "server-version": string;
                    };
                };
            };
            /** @description Default Response */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description What went wrong. Clients test for this key. */
                        error: string;
                    };
                };
            };
        };
    };
}
