// Start Swagger UI on the API docs page. A file of its own: the site's CSP allows no
// inline scripts. The OpenAPI document's address comes from the page.
(function () {
  "use strict";
  var holder = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: holder.getAttribute("data-openapi-url"),
    domNode: holder,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
})();
