// Viewer request, cloudfront-js-2.0, default (S3) behaviour.
// The bucket is reached through its private REST endpoint with OAC, which, unlike a website
// endpoint, has no index documents (001-R2). This gives every directory its index.html:
//   /docs/   -> /docs/index.html
//   /docs    -> /docs/index.html  (no extension in the last segment: a directory; a rewrite,
//                                  not S3's redirect, so pages use root-relative links)
//   /app.css -> unchanged
// "/" becomes "/index.html" here too; default_root_object covers the root without the function.
function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (uri.endsWith('/')) {
        request.uri = uri + 'index.html';
    } else if (uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
        request.uri = uri + '/index.html';
    }
    return request;
}
