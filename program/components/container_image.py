"""ContainerImage: an ECR repository and the image the stack builds from a Dockerfile and pushes to it.

The repository scans on push, keeps tags immutable and is deleted with its images by ``destroy``
(``force_delete``, 002-R47), encrypted with the owner's CMK; a lifecycle policy keeps the last
``keep_images`` images. The image is built by pulumi-docker-build (BuildKit, through the local
Docker daemon's buildx) for one platform at ``pulumi up`` and pushed with an ECR token; it is not
built during preview. Its tag is a digest of exactly the files the Dockerfile copies
(:func:`context_digest`), so the tag changes when and only when the content does: an immutable tag
is then a content address, and the Lambda's ``image_uri`` changes (and the function updates) only
when the code does. Under the offline plan the image is registered like any other resource.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from program.scope import Scope

TAG_PREFIX = "c-"
TAG_DIGEST_LENGTH = 20
PLATFORMS = {"arm64": "linux/arm64", "x86_64": "linux/amd64"}


def context_digest(context_dir: Path, include: Sequence[str]) -> str:
    """SHA-256 over the relative path and bytes of every file under ``include`` (files or folders)."""
    digest = hashlib.sha256()
    for entry in sorted(include):
        root = context_dir / entry
        if not root.exists():
            raise ValueError(f"ContainerImage: {entry!r} is not in {context_dir}")
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            digest.update(path.relative_to(context_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def content_tag(context_dir: Path, include: Sequence[str]) -> str:
    return TAG_PREFIX + context_digest(context_dir, include)[:TAG_DIGEST_LENGTH]


@dataclass(frozen=True)
class ContainerImageArgs:
    purpose: str
    scope: Scope
    context_dir: str
    # What the Dockerfile copies (the tag digests exactly these), the Dockerfile included.
    include: Sequence[str]
    kms_key_arn: pulumi.Input[str]
    architecture: str = "arm64"
    keep_images: int = 10

    def __post_init__(self) -> None:
        context = Path(self.context_dir)
        if not (context / "Dockerfile").is_file():
            raise ValueError(f"ContainerImage {self.context_dir!r}: no Dockerfile")
        if "Dockerfile" not in self.include:
            raise ValueError("ContainerImage include must list the Dockerfile (it shapes the image)")
        if self.architecture not in PLATFORMS:
            raise ValueError(f"ContainerImage architecture {self.architecture!r}: one of {sorted(PLATFORMS)}")
        if not 1 <= self.keep_images <= 1000:
            raise ValueError("keep_images: 1 to 1000")


def lifecycle_policy(keep_images: int) -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the newest {keep_images} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_images,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )


class ContainerImage(pulumi.ComponentResource):
    """An ECR repository and one content-tagged image built into it."""

    def __init__(self, name: str, args: ContainerImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:container_image:ContainerImage", name, None, opts)
        # Imported here: only a stack that builds an image needs the docker-build SDK installed.
        import pulumi_docker_build as docker_build

        child = pulumi.ResourceOptions(parent=self)
        context = Path(args.context_dir)
        self.tag = content_tag(context, args.include)
        self.repository = aws.ecr.Repository(
            f"{name}-repo",
            name=args.scope.name(args.purpose, "ecr"),
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.kms_key_arn)
            ],
            force_delete=True,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=lifecycle_policy(args.keep_images),
            opts=child,
        )
        token = aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id, opts=pulumi.InvokeOptions(parent=self)
        )
        self.image = docker_build.Image(
            f"{name}-image",
            tags=[pulumi.Output.concat(self.repository.repository_url, ":", self.tag)],
            push=True,
            build_on_preview=False,  # preview builds nothing and pushes nothing
            platforms=[docker_build.Platform(PLATFORMS[args.architecture])],
            context=docker_build.BuildContextArgs(location=str(context)),
            dockerfile=docker_build.DockerfileArgs(location=str(context / "Dockerfile")),
            registries=[
                docker_build.RegistryArgs(
                    address=self.repository.repository_url,
                    username=token.user_name,
                    password=token.password,
                )
            ],
            opts=child,
        )
        # From the image's own (echoed) tags, so whoever uses the URI waits for the push.
        self.image_uri: pulumi.Output[str] = self.image.tags.apply(lambda tags: (tags or [""])[0])
        self.repository_url = self.repository.repository_url
        self.register_outputs({"image_uri": self.image_uri, "repository_url": self.repository_url})
