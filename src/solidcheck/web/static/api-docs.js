"use strict";
// The interactive API documentation (/docs, web/pages/api_docs.py): Swagger UI from the
// package's own files over /openapi.json. validatorUrl: null keeps Swagger UI from sending
// the document to its public validator: the page asks nothing of any other host.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle !== "function") {
    return;
  }
  root.textContent = "";
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    syntaxHighlight: { theme: "agate" }
  });
});
