// The OpenAPI 3.0 description of the REST API, served as is at
// /api/openapi.json. rest_api_test checks that every route of the route
// table (routes.cc) and each of its methods appears under "paths".
#include "api/route_handlers.h"

namespace qilian::api {

namespace {

constexpr std::string_view kDocument = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "Qilian identifier registry REST API",
    "version": "1.0.0",
    "description": "Handle.Net v9-shaped REST API of qiliand (docs/api.md). Until authentication is configured, PUT and DELETE are accepted only from loopback."
  },
  "paths": {
    "/api/handles/{handle}": {
      "parameters": [
        {"name": "handle", "in": "path", "required": true,
         "description": "prefix/suffix; the '/' may be sent literally or as %2F. Decoded once; '+' is literal.",
         "schema": {"type": "string", "maxLength": 1024}}
      ],
      "get": {
        "summary": "Resolve a handle",
        "parameters": [
          {"$ref": "#/components/parameters/IndexFilter"},
          {"name": "type", "in": "query", "required": false, "explode": true,
           "description": "Return only values of this type (repeatable); 'URL' also matches 'URL.x', and 'HS_' ending in '.' matches subtypes.",
           "schema": {"type": "array", "items": {"type": "string", "minLength": 1}}}
        ],
        "responses": {
          "200": {"description": "The handle's values",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HandleResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Create or replace a handle, or add/replace some of its values",
        "parameters": [
          {"name": "index", "in": "query", "required": false, "explode": true,
           "description": "Add or replace only these values (repeatable); the body must hold exactly the listed indexes.",
           "schema": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2147483647}}},
          {"name": "overwrite", "in": "query", "required": false,
           "description": "false refuses to replace an existing handle (409, code 101) or value (409, code 201).",
           "schema": {"type": "boolean", "default": true}},
          {"name": "mintNewSuffix", "in": "query", "required": false,
           "description": "Handle.Net's minting: true makes {handle} a stem ('88.999/' or '88.999/P-') that the node appends a random UUID to; the handle created is in the answer (201). overwrite does not apply; not combinable with index.",
           "schema": {"type": "boolean", "default": false}}
        ],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValuesBody"}}}
        },
        "responses": {
          "200": {"description": "Replaced or updated",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OkResponse"}}}},
          "201": {"description": "Created",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OkResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "413": {"description": "Body over the configured limit (default 1 MiB)"},
          "500": {"$ref": "#/components/responses/Error"}
        }
      },
      "post": {
        "summary": "Mint: create a new handle whose suffix the node chooses",
        "description": "{handle} is a stem: '88.999/' or '88.999/P-'. The node appends a random version-4 UUID and creates the handle only if it does not exist; the answer names it. The same as PUT with mintNewSuffix=true.",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValuesBody"}}}
        },
        "responses": {
          "201": {"description": "Created; handle is the minted handle",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OkResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"description": "Body over the configured limit (default 1 MiB)"},
          "500": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "summary": "Delete a handle, or some of its values",
        "parameters": [
          {"$ref": "#/components/parameters/IndexFilter"}
        ],
        "responses": {
          "200": {"description": "Deleted",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OkResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/handles": {
      "get": {
        "summary": "List the handles under a prefix, in stable storage order",
        "parameters": [
          {"name": "prefix", "in": "query", "required": true, "schema": {"type": "string"}},
          {"name": "page", "in": "query", "required": false,
           "description": "Zero-based page number; cost grows with page * pageSize. Not combinable with after.",
           "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}},
          {"name": "pageSize", "in": "query", "required": false,
           "description": "Handles per page; at most the configured maximum (default 10000).",
           "schema": {"type": "integer", "minimum": 1, "default": 100}},
          {"name": "after", "in": "query", "required": false,
           "description": "The last handle of the previous page: an efficient cursor.",
           "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "One page",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ListResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/healthz": {
      "get": {
        "summary": "Liveness",
        "responses": {
          "200": {"description": "Alive",
                  "content": {"application/json": {"schema": {"type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["ok"]}}}}}}
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics (text exposition format 0.0.4)",
        "responses": {
          "200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}
        }
      }
    },
    "/api/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {
          "200": {"description": "OpenAPI 3.0 document", "content": {"application/json": {"schema": {"type": "object"}}}}
        }
      }
    },
    "/api/enterprises": {
      "post": {
        "summary": "Register an enterprise and allocate it the next derived prefix (writes its prefix handle 0.NA/<prefix>)",
        "parameters": [],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnterpriseInput"}}}
        },
        "responses": {
          "201": {"description": "Registered",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnterpriseResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "get": {
        "summary": "List enterprises by id",
        "parameters": [
          {"name": "page", "in": "query", "required": false, "description": "Zero-based page number.",
           "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}},
          {"name": "pageSize", "in": "query", "required": false,
           "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
        ],
        "responses": {
          "200": {"description": "One page",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnterpriseListResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/enterprises/{id}": {
      "parameters": [
        {"name": "id", "in": "path", "required": true,
         "description": "The enterprise id (a decimal number) or its 18-character unified social credit code.",
         "schema": {"type": "string"}}
      ],
      "get": {
        "summary": "Get an enterprise by id or credit code",
        "responses": {
          "200": {"description": "The enterprise",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnterpriseResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/prefixes/{prefix}/templates": {
      "parameters": [{"name": "prefix", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The prefix the templates are defined under, e.g. 88.999.7"}],
      "get": {
        "summary": "The latest version of each identifier data template under the prefix (docs/templates.md)",
        "responses": {
          "200": {"description": "{prefix, templates: [...]}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "post": {
        "summary": "Define a template, version 1 (operators and the prefix's enterprise admins)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "201": {"description": "{template}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/prefixes/{prefix}/templates/{name}": {
      "parameters": [{"name": "prefix", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The prefix the templates are defined under, e.g. 88.999.7"}, {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Template name: a-z, 0-9 and -"}],
      "get": {
        "summary": "The latest version of one template",
        "responses": {
          "200": {"description": "{template}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/prefixes/{prefix}/templates/{name}/versions": {
      "parameters": [{"name": "prefix", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The prefix the templates are defined under, e.g. 88.999.7"}, {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Template name: a-z, 0-9 and -"}],
      "get": {
        "summary": "Every version of one template, ascending",
        "responses": {
          "200": {"description": "{versions: [...]}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "post": {
        "summary": "Publish the next version (any change allowed)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "201": {"description": "{template}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/prefixes/{prefix}/templates/{name}/versions/{version}": {
      "parameters": [{"name": "prefix", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The prefix the templates are defined under, e.g. 88.999.7"}, {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Template name: a-z, 0-9 and -"}, {"name": "version", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
      "get": {
        "summary": "One version of a template",
        "responses": {
          "200": {"description": "{template}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Change a version in place, compatibly only (409 names each breaking change)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "200": {"description": "{template}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/enterprises/{id}/sensors": {
      "parameters": [{"$ref": "#/components/parameters/SensorEnterprise"}],
      "get": {
        "summary": "The enterprise's sensors with their delivery statistics (last_seen, events_received, last_event_ts), never a token (docs/security/events-api.md)",
        "responses": {
          "200": {"description": "{sensors: [...]}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "post": {
        "summary": "Register a sensor {name, description?}; the answer holds its token, shown this once (operators and the enterprise's admins)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "201": {"description": "{id, name, description, enterprise, created, ..., token}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/enterprises/{id}/sensors/{sensor}": {
      "parameters": [{"$ref": "#/components/parameters/SensorEnterprise"}, {"$ref": "#/components/parameters/SensorId"}],
      "get": {
        "summary": "One sensor",
        "responses": {
          "200": {"description": "The sensor", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "summary": "Delete a sensor: its token stops working; its events stay until retention",
        "responses": {
          "200": {"description": "{deleted}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/enterprises/{id}/sensors/{sensor}/token": {
      "parameters": [{"$ref": "#/components/parameters/SensorEnterprise"}, {"$ref": "#/components/parameters/SensorId"}],
      "post": {
        "summary": "A new token for the sensor (the old one stops working); shown this once",
        "responses": {
          "200": {"description": "The sensor and its token", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/security/events": {
      "post": {
        "summary": "A sensor delivers events (Bearer sensor token): one JSON object a line with an id unique to the sensor; all or nothing; replays count as duplicates; answered once durable",
        "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "string"}}}},
        "responses": {
          "200": {"description": "{accepted, duplicates}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"description": "{error: \"line N: ...\", line: N}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "get": {
        "summary": "Security events, newest first: ?enterprise, sensor, protocol, from, to (RFC 3339, from <= ts < to), orig_h, resp_h, limit (1..1000, 100), cursor",
        "parameters": [
          {"name": "enterprise", "in": "query", "schema": {"type": "integer"}},
          {"name": "sensor", "in": "query", "schema": {"type": "string"}},
          {"name": "protocol", "in": "query", "schema": {"type": "string"}},
          {"name": "from", "in": "query", "schema": {"type": "string"}},
          {"name": "to", "in": "query", "schema": {"type": "string"}},
          {"name": "orig_h", "in": "query", "schema": {"type": "string"}},
          {"name": "resp_h", "in": "query", "schema": {"type": "string"}},
          {"name": "limit", "in": "query", "schema": {"type": "integer"}},
          {"name": "cursor", "in": "query", "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "{events: [...], next_cursor}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/products": {
      "post": {
        "summary": "Create a product with thing model version 1: from our model format, an Alibaba TSL or JetLinks import (answer lists the import warnings), or the starter library (docs/products.md)",
        "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductInput"}}}
        },
        "responses": {
          "201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "get": {
        "summary": "List products: enterprise staff their enterprise's; operators and auditors all, or one enterprise's with ?enterprise=",
        "parameters": [
          {"$ref": "#/components/parameters/ProductEnterprise"},
          {"name": "page", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}},
          {"name": "pageSize", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
          {"name": "after", "in": "query", "required": false, "description": "Cursor instead of page: the last id of the previous page (its `next`); <enterprise>/<id> when no enterprise is named", "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "One page, by enterprise then id", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/products/{id}/model": {
      "parameters": [{"$ref": "#/components/parameters/ProductId"}, {"$ref": "#/components/parameters/ProductEnterprise"}],
      "get": {
        "summary": "One version of a product's thing model (default: the latest)",
        "parameters": [{"name": "version", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1}}],
        "responses": {
          "200": {"description": "The model", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Save a model: the latest version amended compatibly, or the next version; 409 lists the breaking changes of an amendment",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"type": "object", "required": ["thingModel"], "additionalProperties": false, "properties": {"thingModel": {"type": "object"}}}}}
        },
        "responses": {
          "200": {"description": "Saved", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"description": "Breaking changes without a new version", "content": {"application/json": {"schema": {"type": "object", "required": ["responseCode", "message", "breakingChanges"], "properties": {"responseCode": {"type": "integer"}, "message": {"type": "string"}, "breakingChanges": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}, "reason": {"type": "string"}}}}}}}}},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/products/{id}": {
      "parameters": [{"$ref": "#/components/parameters/ProductId"}, {"$ref": "#/components/parameters/ProductEnterprise"}],
      "get": {
        "summary": "A product and its latest thing model",
        "responses": {
          "200": {"description": "The product", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Turn self-provisioning on or off",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["selfProvisioning"], "additionalProperties": false, "properties": {"selfProvisioning": {"type": "boolean"}}}}}},
        "responses": {
          "200": {"description": "{product}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "summary": "Delete a product and every model version (enterprise administrators and operators); a product with devices: 409",
        "responses": {
          "200": {"description": "Deleted", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/devices": {
      "post": {
        "summary": "Create a device of one of the enterprise's products, and its identifier <prefix>/<id>; the answer carries the device secret, shown this once (docs/devices.md)",
        "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeviceInput"}}}},
        "responses": {
          "201": {"description": "Created: {device, secret}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "409": {"$ref": "#/components/responses/Error"},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "get": {
        "summary": "List devices by enterprise then id, after a cursor; filter by product or gateway (gateway= empty: devices without one)",
        "parameters": [
          {"$ref": "#/components/parameters/ProductEnterprise"},
          {"name": "product", "in": "query", "required": false, "schema": {"type": "string"}},
          {"name": "gateway", "in": "query", "required": false, "schema": {"type": "string"}},
          {"name": "after", "in": "query", "required": false, "description": "The last id of the previous page (its `next`); <enterprise>/<id> when no enterprise is named", "schema": {"type": "string"}},
          {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
        ],
        "responses": {
          "200": {"description": "{devices, more, next, limit}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/devices/import": {
      "post": {
        "summary": "Create devices from a CSV (header id,product,name,serial,gateway,tags); each row is answered: created with its secret, or rejected with its line and reason",
        "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"}],
        "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}},
        "responses": {
          "200": {"description": "{created, rejected, rows}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "415": {"$ref": "#/components/responses/Error"},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/devices/register": {
      "post": {
        "summary": "Self-provisioning, no login: a device of a product with selfProvisioning registers itself with sign = hex HMAC-SHA256(productSecret, deviceId<id>productKey<key>random<random>)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "required": ["productKey", "deviceId", "random", "signMethod", "sign"], "properties": {"productKey": {"type": "string"}, "deviceId": {"type": "string"}, "random": {"type": "string"}, "signMethod": {"type": "string", "enum": ["hmacsha256"]}, "sign": {"type": "string"}}}}}},
        "responses": {
          "201": {"description": "{productKey, deviceId, deviceSecret}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "409": {"$ref": "#/components/responses/Error"},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/devices/{id}/secret": {
      "parameters": [{"$ref": "#/components/parameters/DeviceId"}, {"$ref": "#/components/parameters/ProductEnterprise"}],
      "post": {
        "summary": "A new device secret (the old one stops working); shown this once",
        "responses": {
          "200": {"description": "{device, secret}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/devices/{id}/shadow": {
      "parameters": [{"$ref": "#/components/parameters/DeviceId"}, {"$ref": "#/components/parameters/ProductEnterprise"}],
      "get": {
        "summary": "The device shadow: online, lastSeen, reported {property: {value, time}}, desired, desiredVersion, delta (docs/shadow.md)",
        "responses": {
          "200": {"description": "{shadow}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Merge {desired: {property: value|null}, version?}: durable, then pushed to the device as properties/write; the delta stays until it reports",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "200": {"description": "{shadow}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "409": {"$ref": "#/components/responses/Error"},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/devices/{id}/properties": {
      "parameters": [{"$ref": "#/components/parameters/DeviceId"}, {"$ref": "#/components/parameters/ProductEnterprise"}],
      "get": {
        "summary": "The latest reported values, from memory: {online, properties: {property: {value, time}}}",
        "responses": {
          "200": {"description": "{online, properties}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Write {properties, timeout?} to the device and wait for its reply: 200 success, 422 the device refused, 504 no reply in time",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "200": {"description": "{success: true, properties}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "422": {"description": "{success: false, code, message}: the device's refusal", "content": {"application/json": {"schema": {"type": "object"}}}},
          "502": {"$ref": "#/components/responses/Error"},
          "504": {"$ref": "#/components/responses/Error"},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/write": {
      "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"},
        {"name": "precision", "in": "query", "required": false, "schema": {"type": "string", "enum": ["ns", "n", "us", "u", "ms", "s", "m", "h"]}}],
      "post": {
        "summary": "InfluxDB 1.x line protocol (db required; gzip bodies; docs/line-protocol.md)",
        "requestBody": {"required": true, "content": {"text/plain": {"schema": {"type": "string"}}}},
        "responses": {
          "204": {"description": "every line written"},
          "400": {"description": "{code: invalid, message, line, errors}: the good lines were written, the bad ones named", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/v2/write": {
      "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"},
        {"name": "precision", "in": "query", "required": false, "schema": {"type": "string", "enum": ["ns", "n", "us", "u", "ms", "s", "m", "h"]}}],
      "post": {
        "summary": "InfluxDB 2.x line protocol (org or orgID, and bucket, required; gzip bodies)",
        "requestBody": {"required": true, "content": {"text/plain": {"schema": {"type": "string"}}}},
        "responses": {
          "204": {"description": "every line written"},
          "400": {"description": "{code: invalid, message, line, errors}: the good lines were written, the bad ones named", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/telemetry/query": {
      "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"}],
      "post": {
        "summary": "Raw points, latest values or windowed aggregates of the selected series (docs/telemetry-query.md)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "200": {"description": "{series: [...], stats}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/telemetry/export": {
      "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"}],
      "post": {
        "summary": "One page of raw points as CSV or JSON lines; X-Qilian-Next names the next page (docs/telemetry-query.md)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "200": {"description": "text/csv or application/x-ndjson", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/telemetry/series": {
      "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"},
        {"name": "device", "in": "query", "required": false, "schema": {"type": "string"}}],
      "get": {
        "summary": "The enterprise's series (of one device if named), with kinds and labels",
        "responses": {
          "200": {"description": "{series: [{id, device, property, kind, labels}]}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/telemetry/compact": {
      "post": {
        "summary": "Operators: seals every series' in-memory points into blocks, empties the write-ahead log and compacts the store (slow; for benchmarks and maintenance)",
        "responses": {
          "204": {"description": "sealed and compacted"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/telemetry/retention": {
      "parameters": [{"$ref": "#/components/parameters/ProductEnterprise"}],
      "get": {
        "summary": "The enterprise's retention: {days, products, node_default_days}",
        "responses": {
          "200": {"description": "{enterprise, days, products, node_default_days}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Sets the enterprise's retention {days, products: {id: days}}; 0 days keeps forever, null days takes the node's",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "200": {"description": "{enterprise, days, products, node_default_days}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/devices/{id}/functions/{fn}": {
      "parameters": [{"$ref": "#/components/parameters/DeviceId"}, {"name": "fn", "in": "path", "required": true, "schema": {"type": "string"}}, {"$ref": "#/components/parameters/ProductEnterprise"}],
      "post": {
        "summary": "Invoke the service {inputs?, timeout?} on the device and wait for its reply: 200 with output, 422 the device refused, 504 no reply in time",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "200": {"description": "{success: true, output}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "422": {"description": "{success: false, code, message}: the device's refusal", "content": {"application/json": {"schema": {"type": "object"}}}},
          "502": {"$ref": "#/components/responses/Error"},
          "504": {"$ref": "#/components/responses/Error"},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/devices/{id}": {
      "parameters": [{"$ref": "#/components/parameters/DeviceId"}, {"$ref": "#/components/parameters/ProductEnterprise"}],
      "get": {
        "summary": "A device (never its secret)",
        "responses": {
          "200": {"description": "{device}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Change a device: modelVersion (raised only), name, serial, gateway (\"\" detaches), tags, enabled; its identifier follows",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
          "200": {"description": "{device}", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "summary": "Delete a device and its identifier (a gateway with sub-devices: 409)",
        "responses": {
          "200": {"description": "Deleted", "content": {"application/json": {"schema": {"type": "object"}}}},
          "409": {"$ref": "#/components/responses/Error"},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/starter-products": {
      "get": {
        "summary": "The starter library: thing models of common industrial equipment to create products from",
        "responses": {
          "200": {"description": "Every starter product with its model", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/stats": {
      "get": {
        "summary": "Resolutions by front door and identifiers created/deleted of one prefix, per UTC day or hour (docs/statistics.md)",
        "parameters": [
          {"name": "prefix", "in": "query", "required": true, "schema": {"type": "string"}},
          {"name": "from", "in": "query", "required": false, "description": "First day, YYYY-MM-DD (default: 6 days before to; for hour, to)", "schema": {"type": "string", "format": "date"}},
          {"name": "to", "in": "query", "required": false, "description": "Last day, YYYY-MM-DD (default: today, UTC)", "schema": {"type": "string", "format": "date"}},
          {"name": "granularity", "in": "query", "required": false, "description": "day (at most 366 days) or hour (at most 31 days)", "schema": {"type": "string", "enum": ["day", "hour"], "default": "day"}}
        ],
        "responses": {
          "200": {"description": "One bucket per day or hour, zeros included", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/stats/summary": {
      "get": {
        "summary": "All-time totals per prefix, most registered first",
        "parameters": [
          {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20}}
        ],
        "responses": {
          "200": {"description": "Top prefixes and the node's total", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/stats/reports": {
      "post": {
        "summary": "A child node's daily report (loopback only until authentication); replaces an earlier one of the same node and day",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["node", "day", "prefixes"]}}}},
        "responses": {
          "200": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/stats/nodes": {
      "get": {
        "summary": "The reports of one day, aggregated per node",
        "parameters": [
          {"name": "day", "in": "query", "required": false, "description": "YYYY-MM-DD (default: today, UTC)", "schema": {"type": "string", "format": "date"}}
        ],
        "responses": {
          "200": {"description": "Per node totals and prefixes", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "501": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/stats/report-now": {
      "post": {
        "summary": "Send this node's reports (yesterday and today) to its parent now (loopback only)",
        "responses": {
          "200": {"description": "Reported", "content": {"application/json": {"schema": {"type": "object"}}}},
          "403": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "502": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/sessions": {
      "post": {
        "summary": "Start a REST session (Handle.Net v9): a session id and a server nonce the client signs to authenticate (docs/api.md \"Sessions\"). Basic credentials, if sent, authenticate it at once.",
        "responses": {
          "201": {"description": "Session started; Location: /api/sessions/this", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/sessions/this": {
      "get": {
        "summary": "The session named by Authorization: Handle sessionId=\"...\" (authenticating it first if the header carries id, type, alg, cnonce and signature); {\"authenticated\": false} without one",
        "responses": {
          "200": {"description": "The session", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      },
      "put": {
        "summary": "Authenticate the session with Authorization: Handle sessionId, id, type, alg, cnonce, signature (signature over the server nonce followed by the client nonce)",
        "responses": {
          "200": {"description": "The session", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      },
      "post": {
        "summary": "As PUT (Handle.Net accepts both)",
        "responses": {
          "200": {"description": "The session", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "summary": "End the session named by Authorization: Handle sessionId=\"...\"",
        "responses": {
          "204": {"description": "Session ended"},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/login": {
      "post": {
        "summary": "Console login: trade a user name and password for a short-lived Bearer token (docs/console-users.md)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "additionalProperties": false, "required": ["user", "password"],
          "properties": {"user": {"type": "string", "maxLength": 64}, "password": {"type": "string", "maxLength": 256}}}}}},
        "responses": {
          "200": {"description": "Logged in", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"responseCode": {"type": "integer"}, "token": {"type": "string"},
              "expiresAt": {"type": "string", "format": "date-time"}, "user": {"type": "string"}, "role": {"type": "string"}}}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/logout": {
      "post": {
        "summary": "End the Bearer token the request carries",
        "responses": {
          "200": {"description": "Logged out", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/me": {
      "get": {
        "summary": "The authenticated caller: actor, method, identity, role, enterprise and prefixes",
        "responses": {
          "200": {"description": "The caller", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/users": {
      "get": {
        "summary": "List console users (operators: all; enterprise administrators: their enterprise's)",
        "responses": {
          "200": {"description": "Users", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"}
        }
      },
      "post": {
        "summary": "Create a console user",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "additionalProperties": false, "required": ["name", "role", "password"],
          "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9._-]{1,64}$"},
            "role": {"type": "string", "enum": ["operator", "enterprise-admin", "enterprise-member", "auditor"]},
            "password": {"type": "string", "minLength": 12, "maxLength": 256},
            "enterprise": {"type": "integer", "minimum": 1},
            "identity": {"type": "string", "description": "<index>:<handle> the user is bound to"},
            "disabled": {"type": "boolean"}}}}}},
        "responses": {
          "201": {"description": "Created", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/users/{name}": {
      "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "summary": "A console user (also to the user itself)",
        "responses": {
          "200": {"description": "The user", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "summary": "Delete a console user; its tokens end",
        "responses": {
          "200": {"description": "Deleted", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/users/{name}/password": {
      "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
      "put": {
        "summary": "Set a user's password (also the user's own); the user's tokens end",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "additionalProperties": false, "required": ["password"],
          "properties": {"password": {"type": "string", "minLength": 12, "maxLength": 256}}}}}},
        "responses": {
          "200": {"description": "Changed", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/api/audit": {
      "get": {
        "summary": "Query the audit log (operators and auditors: all; enterprise administrators: their prefixes)",
        "parameters": [
          {"name": "from", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}},
          {"name": "to", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}},
          {"name": "actor", "in": "query", "required": false, "schema": {"type": "string"}},
          {"name": "prefix", "in": "query", "required": false, "schema": {"type": "string"}},
          {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
          {"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "A page of events in time order; nextCursor when more follow",
                  "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"}
        }
      }
    }
  },
  "components": {
    "parameters": {
      "SensorEnterprise": {
        "name": "id", "in": "path", "required": true,
        "description": "The enterprise id (a decimal number).",
        "schema": {"type": "string"}
      },
      "SensorId": {
        "name": "sensor", "in": "path", "required": true,
        "description": "The sensor id: 16 hexadecimal digits, given at registration.",
        "schema": {"type": "string"}
      },
      "ProductId": {
        "name": "id", "in": "path", "required": true,
        "description": "The product id, unique within its enterprise: 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit.",
        "schema": {"type": "string"}
      },
      "DeviceId": {
        "name": "id", "in": "path", "required": true,
        "description": "The device id, unique within its enterprise: 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit.",
        "schema": {"type": "string"}
      },
      "ProductEnterprise": {
        "name": "enterprise", "in": "query", "required": false,
        "description": "The enterprise id. Operators and auditors must name it (except when listing); enterprise staff may only name their own.",
        "schema": {"type": "integer", "minimum": 1}
      },
      "IndexFilter": {
        "name": "index", "in": "query", "required": false, "explode": true,
        "description": "Only these value indexes (repeatable, each at most once).",
        "schema": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2147483647}}
      }
    },
    "responses": {
      "Error": {
        "description": "An error with its Handle response code",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
      }
    },
    "schemas": {
      "DeviceInput": {
        "type": "object", "required": ["id", "product"], "additionalProperties": false,
        "properties": {
          "id": {"type": "string"},
          "product": {"type": "string"},
          "modelVersion": {"type": "integer", "minimum": 1},
          "name": {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
          "serial": {"type": "string"},
          "gateway": {"type": "string"},
          "tags": {"type": "object", "additionalProperties": {"type": "string"}},
          "enabled": {"type": "boolean"}
        }
      },
      "Session": {
        "type": "object",
        "properties": {
          "sessionId": {"type": "string"},
          "nonce": {"type": "string", "format": "byte", "description": "The server nonce, base64"},
          "authenticated": {"type": "boolean"},
          "id": {"type": "string", "description": "The identity the session acts as, index:handle"}
        }
      },
      "ValuesBody": {
        "type": "object", "required": ["values"], "additionalProperties": false,
        "properties": {"values": {"type": "array", "maxItems": 1024, "items": {"$ref": "#/components/schemas/HandleValue"}}}
      },
      "HandleValue": {
        "type": "object", "required": ["index", "type", "data"], "additionalProperties": false,
        "properties": {
          "index": {"type": "integer", "minimum": 1, "maximum": 2147483647},
          "type": {"type": "string", "minLength": 1, "maxLength": 255},
          "data": {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/ValueData"}]},
          "ttl": {"type": "integer", "minimum": 0, "maximum": 4294967295, "default": 86400},
          "ttlType": {"oneOf": [{"type": "integer", "enum": [0, 1]}, {"type": "string", "enum": ["relative", "absolute"]}],
                      "description": "1/absolute: ttl is seconds since the epoch. Sent only when absolute (as 1)."},
          "permissions": {"type": "string", "pattern": "^[01]{4}$", "default": "1110",
                          "description": "adminRead adminWrite publicRead publicWrite"},
          "timestamp": {"type": "string", "format": "date-time", "description": "Set by the server; ignored in requests."},
          "references": {"type": "array", "maxItems": 64, "items": {"$ref": "#/components/schemas/Reference"}}
        }
      },
      "ValueData": {
        "type": "object", "required": ["format", "value"], "additionalProperties": false,
        "properties": {
          "format": {"type": "string", "enum": ["string", "base64", "hex", "admin", "vlist", "site", "key"]},
          "value": {"oneOf": [
            {"type": "string"},
            {"$ref": "#/components/schemas/AdminData"},
            {"type": "array", "maxItems": 1024, "items": {"$ref": "#/components/schemas/Reference"}},
            {"$ref": "#/components/schemas/SiteData"}
          ]}
        }
      },
      "Reference": {
        "type": "object", "required": ["handle", "index"], "additionalProperties": false,
        "properties": {"handle": {"type": "string", "minLength": 1}, "index": {"type": "integer", "minimum": 0, "maximum": 2147483647}}
      },
      "AdminData": {
        "type": "object", "required": ["handle", "index", "permissions"], "additionalProperties": false,
        "properties": {
          "handle": {"type": "string", "minLength": 1},
          "index": {"type": "integer", "minimum": 0, "maximum": 2147483647},
          "permissions": {"type": "string", "pattern": "^[01]{12}$",
                          "description": "HS_ADMIN bits, List_Handles (0x0800) first, Add_Handle (0x0001) last"}
        }
      },
      "SiteData": {
        "type": "object", "additionalProperties": false,
        "properties": {
          "version": {"type": "integer", "default": 1},
          "protocolVersion": {"type": "string", "default": "2.11"},
          "serialNumber": {"type": "integer", "default": 1},
          "primaryMask": {"type": "integer", "minimum": 0, "maximum": 255, "default": 128},
          "hashOption": {"type": "integer", "minimum": 0, "maximum": 255, "default": 0},
          "hashFilter": {"type": "string", "default": ""},
          "attributes": {"type": "array", "maxItems": 64, "items": {"type": "object", "required": ["name", "value"],
            "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}},
          "servers": {"type": "array", "maxItems": 256, "items": {"$ref": "#/components/schemas/SiteServer"}}
        }
      },
      "SiteServer": {
        "type": "object", "required": ["address"], "additionalProperties": false,
        "properties": {
          "serverId": {"type": "integer", "default": 1},
          "address": {"type": "string", "description": "IPv4 or IPv6 text; IPv4 is stored as ::a.b.c.d"},
          "publicKey": {"type": "object", "required": ["format", "value"],
                        "properties": {"format": {"type": "string", "enum": ["base64", "hex", "key"]}, "value": {"type": "string"}}},
          "interfaces": {"type": "array", "maxItems": 16, "items": {"type": "object", "required": ["type", "protocol", "port"],
            "properties": {"type": {"type": "string", "enum": ["admin", "query", "both"]},
                           "protocol": {"type": "string", "enum": ["UDP", "TCP", "HTTP"]},
                           "port": {"type": "integer", "minimum": 0, "maximum": 65535}}}}
        }
      },
      "OkResponse": {
        "type": "object", "required": ["responseCode", "handle"],
        "properties": {"responseCode": {"type": "integer", "enum": [1]}, "handle": {"type": "string"}}
      },
      "HandleResponse": {
        "type": "object", "required": ["responseCode", "handle", "values"],
        "properties": {"responseCode": {"type": "integer", "enum": [1]}, "handle": {"type": "string"},
                       "values": {"type": "array", "items": {"$ref": "#/components/schemas/HandleValue"}}}
      },
      "ListResponse": {
        "type": "object", "required": ["responseCode", "prefix", "pageSize", "handles", "more"],
        "properties": {"responseCode": {"type": "integer", "enum": [1]}, "prefix": {"type": "string"},
                       "page": {"type": "integer"}, "after": {"type": "string"}, "pageSize": {"type": "integer"},
                       "handles": {"type": "array", "items": {"type": "string"}}, "more": {"type": "boolean"}}
      },
      "ErrorResponse": {
        "type": "object", "required": ["responseCode", "message"],
        "properties": {"responseCode": {"type": "integer"}, "handle": {"type": "string"},
                       "field": {"type": "string", "description": "The request field at fault (enterprise routes), e.g. creditCode or contact.email"},
                       "message": {"type": "string"}}
      },
      "EnterpriseInput": {
        "type": "object", "required": ["name", "creditCode", "industry", "region", "contact"], "additionalProperties": false,
        "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 200},
          "creditCode": {"type": "string", "pattern": "^[0-9A-HJ-NP-RTUW-Y]{18}$",
                         "description": "Unified social credit code (GB 32100-2015), check characters verified"},
          "industry": {"type": "string", "description": "GB/T 4754-2017: section letter A-T, or a 2-, 3- or 4-digit code, optionally after its section letter (C1311)"},
          "region": {"type": "string", "pattern": "^[0-9]{6}$", "description": "GB/T 2260 administrative division code"},
          "contact": {"$ref": "#/components/schemas/EnterpriseContact"}
        }
      },
      "EnterpriseContact": {
        "type": "object", "required": ["name", "phone"], "additionalProperties": false,
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100},
                       "phone": {"type": "string", "description": "5 to 20 digits; a leading +, spaces, -, ( and ) allowed"},
                       "email": {"type": "string", "maxLength": 254}}
      },
      "Enterprise": {
        "type": "object",
        "required": ["id", "name", "creditCode", "industry", "region", "contact", "prefix", "prefixHandle", "createdAt"],
        "properties": {
          "id": {"type": "integer", "minimum": 1},
          "name": {"type": "string"},
          "creditCode": {"type": "string"},
          "industry": {"type": "string", "description": "Canonical: the section letter, or the digits"},
          "industrySection": {"type": "string"},
          "industrySectionName": {"type": "string"},
          "region": {"type": "string"},
          "contact": {"$ref": "#/components/schemas/EnterpriseContact"},
          "prefix": {"type": "string", "description": "The allocated derived prefix, e.g. 88.999.7"},
          "prefixHandle": {"type": "string", "description": "0.NA/<prefix>, resolvable at /api/handles/"},
          "createdAt": {"type": "string", "format": "date-time"}
        }
      },
      "EnterpriseResponse": {
        "type": "object", "required": ["responseCode", "enterprise"],
        "properties": {"responseCode": {"type": "integer", "enum": [1]}, "enterprise": {"$ref": "#/components/schemas/Enterprise"}}
      },
      "ProductInput": {
        "type": "object", "required": ["id"], "additionalProperties": false,
        "description": "Exactly one of thingModel, import and fromStarter. name is required unless fromStarter gives it.",
        "properties": {
          "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"},
          "name": {"type": "object", "additionalProperties": false, "properties": {"zh": {"type": "string", "maxLength": 100}, "en": {"type": "string", "maxLength": 100}}},
          "description": {"type": "string", "maxLength": 1000},
          "thingModel": {"type": "object", "description": "docs/thing-model.md; version 1"},
          "import": {"type": "object", "required": ["format", "source"], "additionalProperties": false,
                     "properties": {"format": {"type": "string", "enum": ["alibaba", "jetlinks"]}, "source": {"type": "object"}}},
          "fromStarter": {"type": "string", "description": "A starter product id (GET /api/starter-products)"}
        }
      },
      "ProductResponse": {
        "type": "object", "required": ["responseCode", "product", "thingModel"],
        "properties": {
          "responseCode": {"type": "integer", "enum": [1]},
          "product": {"type": "object", "properties": {
            "enterprise": {"type": "integer"}, "id": {"type": "string"},
            "name": {"type": "object", "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
            "description": {"type": "string"}, "latestVersion": {"type": "integer"},
            "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"}}},
          "thingModel": {"type": "object"},
          "importWarnings": {"type": "array", "items": {"type": "string"}}
        }
      },
      "EnterpriseListResponse": {
        "type": "object", "required": ["responseCode", "page", "pageSize", "enterprises", "more"],
        "properties": {"responseCode": {"type": "integer", "enum": [1]}, "page": {"type": "integer"},
                       "pageSize": {"type": "integer"}, "more": {"type": "boolean"},
                       "enterprises": {"type": "array", "items": {"$ref": "#/components/schemas/Enterprise"}}}
      }
    }
  }
}
)json";

}  // namespace

std::string_view OpenApiDocument() { return kDocument; }

}  // namespace qilian::api
