// Viewer request, cloudfront-js-2.0, on a path-prefixed origin behaviour such as /api/*.
// The origin knows its routes without the prefix: /api/items/1 reaches it as /items/1 (after
// which CloudFront prepends the origin path, e.g. the API stage: /prod/items/1).
// PREFIX is filled in when the function is built (program/components/cdn.py).
var PREFIX = '__PREFIX__';

function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (uri === PREFIX) {
        request.uri = '/';
    } else if (uri.startsWith(PREFIX + '/')) {
        request.uri = uri.substring(PREFIX.length);
    }
    return request;
}
