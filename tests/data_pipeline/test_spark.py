"""S3A settings of the session factory: endpoint precedence, TLS, and no credentials."""

from __future__ import annotations

from data_pipeline.lakehouse.spark import S3A, s3_endpoint, s3a_conf

SECRETS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t-value"}


def test_both_schemes_go_to_s3a_without_an_endpoint():
    conf = s3a_conf({})
    assert conf == {"spark.hadoop.fs.s3.impl": S3A, "spark.hadoop.fs.s3a.impl": S3A}


def test_endpoint_precedence_is_service_specific_first():
    env = {
        "S3_ENDPOINT_URL": "http://c:3",
        "AWS_ENDPOINT_URL": "http://b:2",
        "AWS_ENDPOINT_URL_S3": "http://a:1",
    }
    assert s3_endpoint(env) == "http://a:1"
    assert s3_endpoint({k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL_S3"}) == "http://b:2"
    assert s3_endpoint({"S3_ENDPOINT_URL": "http://c:3", "AWS_ENDPOINT_URL": ""}) == "http://c:3"
    assert s3_endpoint({}) is None


def test_http_endpoint_turns_tls_off_and_path_style_on():
    conf = s3a_conf({"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_REGION": "eu-west-1"})
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "eu-west-1"
    https = s3a_conf({"AWS_ENDPOINT_URL_S3": "https://s3.example.org"})
    assert "spark.hadoop.fs.s3a.connection.ssl.enabled" not in https


def test_credentials_in_the_environment_never_reach_the_conf():
    conf = s3a_conf({**SECRETS, "AWS_SESSION_TOKEN": "tok-value", "S3_ENDPOINT_URL": "http://h:1"})
    text = repr(conf)
    for value in (*SECRETS.values(), "tok-value"):
        assert value not in text
    assert not [k for k in conf if "key" in k or "token" in k or "secret" in k]
