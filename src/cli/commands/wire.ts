/** `--json` prints records exactly as the HTTP API writes them. */
export {
  controllerWire as controllerJson,
  customerWire as customerJson,
  facilityWire as facilityJson,
  ingestKeyWire as ingestKeyJson,
  iso,
  userWire as userJson,
} from '../../wire/flowline.js';
