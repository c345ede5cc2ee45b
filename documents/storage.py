"""Media on S3-compatible object storage (MEDIA_STORAGE=s3; see config/settings.py).

Several web nodes and workers share one bucket, as they share one database. The portal never
hands out an object's address: every stored file (uploads, scans, generated PDFs, emblems) is
read through `storage.open` by a view that has checked the district and the role, and streamed
from there. `url()` therefore refuses, so that no template or view can start publishing bucket
URLs (public or pre-signed) by accident. Objects replaced or removed are deleted after the
commit with `robust=True`: an object store that does not answer then leaves an orphan and an
error in the log, not a failed request whose data are saved.
"""

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """django-storages' S3 backend with private objects, no overwriting and no URLs."""

    # the bucket's own policy decides access (no public-read ACL on any object); a name that
    # exists gets a suffix as on the file system, so an upload never replaces another's file
    default_acl = None
    file_overwrite = False
    querystring_auth = True

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise NotImplementedError(
            "stored files have no public address: serve them through a checked view "
            "(storage.open), never through a bucket URL"
        )
