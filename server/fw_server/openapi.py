"""The OpenAPI 3.1 document of the service, generated from the route table and the pydantic models."""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas as s
from .routes import _MEDIA, ROUTES, Route

REF = "#/components/schemas/{model}"
#: Refusals every authenticated operation may answer (documented so clients and fuzzers know them).
ERRORS = {400: "Malformed request (e.g. a path that is not valid UTF-8)",
          401: "No token, or a forged, revoked or expired one",
          403: "Your role does not allow this, a tier limit (error limit_exceeded), or a token without the scope",
          404: "No such object, or one you may not see (the same body either way)",
          409: "Someone else changed the same thing first; reload and retry",
          413: "Body larger than the service's limit",
          415: "A request body that is not sent as Content-Type: application/json",
          422: "Invalid request: the field and what is allowed",
          429: "Too many requests; retry after Retry-After seconds",
          503: "The Hub could not check the token (on a hub); retry after Retry-After seconds"}


def _models(route: Route) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for candidate in (route.body, route.response):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            found.append(candidate)
        elif typing.get_origin(candidate) is list:
            found.append(typing.get_args(candidate)[0])
    return found


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name, description in route.params.items():
        integer = description.startswith("int:")
        schema = {"type": "integer"} if integer else {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
        params.append({"name": name, "in": "path", "required": True,
                       "description": description.removeprefix("int:"), "schema": schema})
    if route.session != "none":
        params.append({"name": "X-FW-Session", "in": "header", "required": route.session == "required",
                       "description": "the client's session (one per open design object): its edits can be undone "
                                      "with POST /designs/{design_id}/undo",
                       "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}})
        params.append({"name": "X-FW-Base-Version", "in": "header", "required": False,
                       "description": "the design version the edit was decided on (the client's copy). When "
                                      "others saved since, the edit is re-applied on their state if it touches "
                                      "nothing they touched, else refused with 409 conflict; without it the "
                                      "edit applies to the current version",
                       "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}})
        if "design_id" in route.params:
            params.append({"name": "X-FW-Return", "in": "header", "required": False,
                           "description": "design: answer a successful edit with the whole design as saved "
                                          "(status 200, the body of GET /designs/{design_id}, response header "
                                          "X-FW-Returned: design) instead of the documented response",
                           "schema": {"type": "string", "enum": ["design"]}})
    if route.query is not None:
        query: dict[str, Any] = route.query.model_json_schema(ref_template=REF)
        required = set(query.get("required", ()))
        for name, prop in query["properties"].items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    return params


def _error_response(description: str, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {"application/json": {"schema": _ref(s.ErrorOut)}}}
    if retry_after:
        response["headers"] = {"Retry-After": {"description": "seconds until the window resets",
                                               "schema": {"type": "string"}}}
    return response


def _binary_media(route: Route) -> list[str]:
    """The media types a file route answers with (thumbnails are PNGs; a download is its export's format)."""
    if route.path.endswith("/thumbnail"):
        return ["image/png"]
    if route.operation_id == "download_export":
        return [*sorted(set(_MEDIA.values())), "application/octet-stream"]
    return ["application/octet-stream"]


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": route.operation_id, "summary": route.summary, "tags": [route.tag]}
    params = _parameters(route)
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _ref(route.body)}}}
    if route.response is None:
        ok: dict[str, Any] = {"description": "Done (no content)"}
    elif route.response == "binary":
        ok = {"description": "The file", "content": {media: {"schema": {"type": "string", "format": "binary"}}
                                                     for media in _binary_media(route)},
              "headers": {"Content-Disposition": {"schema": {"type": "string"}}}}
    elif typing.get_origin(route.response) is list:
        item = typing.get_args(route.response)[0]
        ok = {"description": "OK", "content": {"application/json": {"schema": {"type": "array",
                                                                               "items": _ref(item)}}}}
    else:
        ok = {"description": "OK", "content": {"application/json": {"schema": _ref(route.response)}}}
    links = _links(route)
    if links:
        ok["links"] = links
    responses = {str(route.status): ok}
    if route.response == "binary" and route.auth == "signature":  # blobs on S3: S3 serves the file
        responses["307"] = {"description": "The file is served by the object store: a pre-signed URL",
                            "headers": {"Location": {"schema": {"type": "string"}}}}
    for status, description in ERRORS.items():
        responses[str(status)] = _error_response(description, status in (429, 503))
    op["responses"] = responses
    if route.auth == "signature":
        op["security"] = []
    return op


#: what a created object's answer gives the operations that take it (OpenAPI links, followed by stateful
#: clients and schemathesis' state machine): response model -> (path parameter, JSON pointer in the answer)
CREATES = {"DesignOut": ("design_id", "id"), "Layer": ("layer_id", "id"), "ExportOut": ("job_id", "id"),
           "AvatarOut": ("avatar_id", "id"), "VersionOut": ("number", "version_number")}
NO_LINK = {"download_export"}   # needs the signed query of GET /exports/{id}, not only the id


def _path_params(path: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", path))


def _links(route: Route) -> dict[str, Any]:
    """Links from ``route``'s success answer to every operation taking the object it made (and only path
    parameters this request had or the answer gives)."""
    made = CREATES.get(getattr(route.response, "__name__", ""))
    if made is None or route.method != "POST":
        return {}
    param, pointer = made
    have = _path_params(route.path)
    links: dict[str, Any] = {}
    for target in ROUTES:
        need = _path_params(target.path)
        takes = {param} | ({"a", "b"} if param == "number" else set())
        if target.operation_id in NO_LINK or not need & takes or not need <= have | takes:
            continue
        values = {n: f"$request.path.{n}" for n in need & have}
        values.update({n: f"$response.body#/{pointer}" for n in need & takes})
        links[target.operation_id] = {"operationId": target.operation_id, "parameters": values}
    return links


def document(prefix: str, version: str) -> dict[str, Any]:
    """The OpenAPI document; ``prefix`` (``/api/v1`` or ``/services/fw/api/v1``) is the server URL."""
    models = {m for r in ROUTES for m in _models(r)} | {s.ErrorOut}
    _, defs = models_json_schema([(m, "validation" if issubclass(m, s.Request) else "serialization")
                                  for m in sorted(models, key=lambda m: m.__name__)], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fashion Wallet Studio design service", "version": version,
                 "description": "Designs, layers, versions, collaborators, avatars, catalog and exports for "
                                "notebooks and browsers. Every request but the signed download carries "
                                "'Authorization: token <token>' (a JupyterHub token on a hub). Events: "
                                f"WebSocket {prefix}/events. GraphQL (queries, mutations; subscriptions over "
                                f"graphql-transport-ws): {prefix}/graphql."},
        "servers": [{"url": prefix}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization",
                                          "description": "'token <token>' or 'Bearer <token>'"}},
        },
        "security": [{"token": []}],
    }
