// bedrock.go speaks AWS Bedrock's Converse and ConverseStream APIs through
// the AWS SDK for Go v2: its credential chain, SigV4 signing and event-stream
// decoding. The SDK sends through the Runtime's HTTP client, wrapped so that
// the attempt records the (redacted) request and response.

package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/bexrun/bex/vmspan"
)

// awsOptions are an aws-bedrock client's resolved AWS options.
type awsOptions struct {
	region, profile, endpointURL string
	creds                        *aws.Credentials // explicit credentials, else the SDK's chain
	inference                    map[string]any   // inference_configuration
	additional                   map[string]any   // additional_model_request_fields
}

func (r *Runtime) bedrockEndpoint(c *client, ep *endpoint) error {
	o := &awsOptions{}
	if ep.model == "" {
		id, _, err := r.stringOption(c, "model_id")
		if err != nil {
			return err
		}
		ep.model = id
	}
	var err error
	str := func(dst *string, key string) {
		if err == nil {
			*dst, _, err = r.stringOption(c, key)
		}
	}
	var id, secret, session string
	str(&o.region, "region")
	str(&o.profile, "profile")
	str(&o.endpointURL, "endpoint_url")
	str(&id, "access_key_id")
	str(&secret, "secret_access_key")
	str(&session, "session_token")
	if err != nil {
		return err
	}
	if o.region == "" {
		o.region, _ = r.env("AWS_REGION")
	}
	if id != "" {
		o.creds = &aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: session, Source: "bex client options"}
	}
	for key, dst := range map[string]*map[string]any{"inference_configuration": &o.inference, "additional_model_request_fields": &o.additional} {
		if m, ok := c.options[key].(map[string]any); ok {
			v, err := r.resolveValue(c, key, m)
			if err != nil {
				return err
			}
			*dst = v.(map[string]any)
		}
	}
	ep.aws, ep.baseURL = o, o.endpointURL
	return nil
}

// awsConfig loads the SDK configuration of o: explicit credentials, else
// the SDK's default chain (environment, shared files and profile, SSO, web
// identity, ECS and EC2 metadata). The SDK's own retries are off: the
// client's retry_policy governs, as for every provider.
func (r *Runtime) awsConfig(ctx context.Context, o *awsOptions) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	if o.creds != nil {
		opts = append(opts, config.WithCredentialsProvider(credentials.StaticCredentialsProvider{Value: *o.creds}))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}

// bedrockClient returns an SDK client for o that sends through rec.
func (r *Runtime) bedrockClient(ctx context.Context, c *client, o *awsOptions, rec *recordingClient) (*bedrockruntime.Client, error) {
	cfg, err := r.awsConfig(ctx, o)
	if err != nil {
		return nil, &ConfigError{Pos: c.pos, Client: c.name, Msg: "aws-bedrock: " + err.Error()}
	}
	if cfg.Region == "" {
		return nil, &ConfigError{Pos: c.pos, Client: c.name, Msg: "aws-bedrock: no region (set options.region, $AWS_REGION or a profile's region)"}
	}
	return bedrockruntime.NewFromConfig(cfg, func(bo *bedrockruntime.Options) {
		bo.HTTPClient = rec
		if o.endpointURL != "" {
			bo.BaseEndpoint = aws.String(o.endpointURL)
		}
	}), nil
}

// converseInput builds the Converse request of msgs: system messages go to
// system, the rest to messages, media as image, document, audio and video
// blocks.
func converseInput(ep *endpoint, msgs []vmspan.Message) (*bedrockruntime.ConverseInput, error) {
	system, rest := splitSystem(msgs, true)
	in := &bedrockruntime.ConverseInput{ModelId: aws.String(ep.model)}
	if system != "" {
		in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: system}}
	}
	for _, m := range rest {
		role := types.ConversationRoleUser
		if m.Role == "assistant" {
			role = types.ConversationRoleAssistant
		}
		blocks, err := bedrockBlocks(m)
		if err != nil {
			return nil, err
		}
		in.Messages = append(in.Messages, types.Message{Role: role, Content: blocks})
	}
	ic, err := inferenceConfig(ep)
	if err != nil {
		return nil, err
	}
	in.InferenceConfig = ic
	if len(ep.aws.additional) > 0 {
		in.AdditionalModelRequestFields = document.NewLazyDocument(ep.aws.additional)
	}
	return in, nil
}

// inferenceConfig merges inference_configuration (BAML's snake_case keys)
// with the client's temperature and max_tokens.
func inferenceConfig(ep *endpoint) (*types.InferenceConfiguration, error) {
	ic := &types.InferenceConfiguration{}
	set := false
	for k, v := range ep.aws.inference {
		set = true
		switch k {
		case "max_tokens":
			n, ok := asInt(v)
			if !ok {
				return nil, fmt.Errorf("inference_configuration.max_tokens must be an int")
			}
			ic.MaxTokens = aws.Int32(int32(n))
		case "temperature", "top_p":
			f, ok := asFloat(v)
			if !ok {
				return nil, fmt.Errorf("inference_configuration.%s must be a number", k)
			}
			if k == "temperature" {
				ic.Temperature = aws.Float32(float32(f))
			} else {
				ic.TopP = aws.Float32(float32(f))
			}
		case "stop_sequences":
			list, _ := v.([]any)
			for _, s := range list {
				str, _ := s.(string)
				ic.StopSequences = append(ic.StopSequences, str)
			}
		default:
			return nil, fmt.Errorf("inference_configuration: unknown field %q (want max_tokens, temperature, top_p, stop_sequences)", k)
		}
	}
	if ep.temperature != nil {
		ic.Temperature, set = aws.Float32(float32(*ep.temperature)), true
	}
	if ep.maxTokens != nil {
		ic.MaxTokens, set = aws.Int32(int32(*ep.maxTokens)), true
	}
	if !set {
		return nil, nil
	}
	return ic, nil
}

func bedrockBlocks(m vmspan.Message) ([]types.ContentBlock, error) {
	if !hasMedia(m) {
		return []types.ContentBlock{&types.ContentBlockMemberText{Value: m.Content}}, nil
	}
	var out []types.ContentBlock
	for _, p := range m.Parts {
		if p.Media == nil {
			out = append(out, &types.ContentBlockMemberText{Value: p.Text})
			continue
		}
		b, err := bedrockMedia(p.Media)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// bedrockMedia renders one media value. Bytes go inline; an s3:// URL is
// passed as an S3 location; other URLs must have been fetched.
func bedrockMedia(m *vmspan.Media) (types.ContentBlock, error) {
	s3 := m.IsURL() && strings.HasPrefix(m.URL, "s3://")
	if m.IsURL() && !s3 {
		return nil, errMediaURL("aws-bedrock", m)
	}
	format := mediaSubtype(m)
	loc := types.S3Location{Uri: aws.String(m.URL)}
	switch m.Kind {
	case vmspan.MediaImage:
		blk := types.ImageBlock{Format: types.ImageFormat(format)}
		if s3 {
			blk.Source = &types.ImageSourceMemberS3Location{Value: loc}
		} else {
			blk.Source = &types.ImageSourceMemberBytes{Value: m.Data()}
		}
		return &types.ContentBlockMemberImage{Value: blk}, nil
	case vmspan.MediaPDF:
		blk := types.DocumentBlock{Format: types.DocumentFormatPdf, Name: aws.String("document")}
		if s3 {
			blk.Source = &types.DocumentSourceMemberS3Location{Value: loc}
		} else {
			blk.Source = &types.DocumentSourceMemberBytes{Value: m.Data()}
		}
		return &types.ContentBlockMemberDocument{Value: blk}, nil
	case vmspan.MediaAudio:
		blk := types.AudioBlock{Format: types.AudioFormat(format)}
		if s3 {
			blk.Source = &types.AudioSourceMemberS3Location{Value: loc}
		} else {
			blk.Source = &types.AudioSourceMemberBytes{Value: m.Data()}
		}
		return &types.ContentBlockMemberAudio{Value: blk}, nil
	default:
		blk := types.VideoBlock{Format: types.VideoFormat(format)}
		if s3 {
			blk.Source = &types.VideoSourceMemberS3Location{Value: loc}
		} else {
			blk.Source = &types.VideoSourceMemberBytes{Value: m.Data()}
		}
		return &types.ContentBlockMemberVideo{Value: blk}, nil
	}
}

// converseCompletion reads a Converse reply.
func converseCompletion(ep *endpoint, out *bedrockruntime.ConverseOutput) (completion, error) {
	c := completion{finish: string(out.StopReason)} // Bedrock names no response model
	c.id, _ = awsmw.GetRequestIDMetadata(out.ResultMetadata)
	c.usage = bedrockUsage(out.Usage)
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		return c, errors.New("the reply holds no message")
	}
	var text strings.Builder
	for _, b := range msg.Value.Content {
		if t, ok := b.(*types.ContentBlockMemberText); ok {
			text.WriteString(t.Value)
		}
	}
	c.text = text.String()
	return c, nil
}

func bedrockUsage(u *types.TokenUsage) vmspan.Usage {
	if u == nil {
		return vmspan.Usage{}
	}
	p := func(n *int32) *int64 {
		if n == nil {
			return nil
		}
		return int64p(int64(*n))
	}
	// As Anthropic's, Bedrock's input count leaves out the tokens read from
	// and written to the cache; the conventions' includes them.
	return vmspan.Usage{InputTokens: sum(p(u.InputTokens), p(u.CacheReadInputTokens), p(u.CacheWriteInputTokens)), OutputTokens: p(u.OutputTokens),
		CachedInputTokens: p(u.CacheReadInputTokens), CacheCreationInputTokens: p(u.CacheWriteInputTokens)}
}

// bedrockError maps an SDK error to the runtime's error types: a service
// reply with a status is an *HTTPError (its Retry-After honoured), a
// failure to get one a *TransportError.
func (cs *call) bedrockError(c *client, at *attemptState, err error) error {
	red := at.red
	if at.wd.timedOut() != nil || cs.ctx.Err() != nil {
		return cs.transportError(c, at, err)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.HTTPStatusCode() != 0 {
		he := &HTTPError{Client: c.name, Provider: c.provider, Status: re.HTTPStatusCode()}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			he.Message = red.str(ae.ErrorCode() + ": " + ae.ErrorMessage())
		}
		if he.Status == 429 || he.Status == 503 {
			he.RetryAfter = parseRetryAfter(re.Response.Header.Get("Retry-After"), cs.r.now())
		}
		return he
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return &ResponseError{Client: c.name, Msg: red.str(de.Error())}
	}
	return cs.transportError(c, at, err)
}

// A recordingClient is the SDK's HTTP client for one attempt: it sends
// through the Runtime's client, sets the trace headers, and records the
// request and response (bodies up to maxRecordedBody) for the attempt.
type recordingClient struct {
	http     *http.Client
	wd       *watchdog           // the attempt's timeouts, which the reply's reads feed
	before   func(*http.Request) // sets trace headers
	req      *http.Request
	reqBody  []byte
	resp     *http.Response
	respBody bytes.Buffer
}

// Do sends req.
func (rc *recordingClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		rc.reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	if rc.before != nil {
		rc.before(req)
	}
	rc.req = req
	resp, err := rc.http.Do(req)
	if err != nil {
		return nil, err
	}
	rc.resp = resp
	resp.Body = rc.wd.body(resp.Body)
	if !strings.Contains(resp.Header.Get("Content-Type"), "eventstream") {
		resp.Body = teeBody{resp.Body, io.TeeReader(resp.Body, &capWriter{&rc.respBody, maxRecordedBody})}
	}
	return resp, nil
}

// teeBody reads through r and closes the original body.
type teeBody struct {
	io.Closer
	r io.Reader
}

func (t teeBody) Read(p []byte) (int, error) { return t.r.Read(p) }

// capWriter keeps the first n bytes written to it.
type capWriter struct {
	b *bytes.Buffer
	n int
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.n - w.b.Len(); room > 0 {
		w.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// bedrockSource reads a ConverseStream event stream (decoded by the SDK).
type bedrockSource struct {
	es   *bedrockruntime.ConverseStreamEventStream
	done bool      // messageStop or metadata seen
	log  *eventLog // nil unless the events are recorded
}

func (s *bedrockSource) next(c *completion) (string, error) {
	for ev := range s.es.Events() {
		if s.log != nil {
			s.log.add(bedrockEventText(ev))
		}
		switch e := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			if t, ok := e.Value.Delta.(*types.ContentBlockDeltaMemberText); ok && t.Value != "" {
				return t.Value, nil
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			c.finish = string(e.Value.StopReason)
		case *types.ConverseStreamOutputMemberMetadata:
			c.usage = bedrockUsage(e.Value.Usage)
			s.done = true
			return "", nil
		}
	}
	if err := s.es.Err(); err != nil {
		err = fmt.Errorf("reading the event stream: %w", err)
		var ne net.Error
		if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &ne) {
			err = &decodeError{err} // not a network failure: a malformed stream
		}
		return "", err
	}
	if !s.done && c.finish == "" {
		return "", errStreamTruncated
	}
	return "", io.EOF
}

func (s *bedrockSource) close() error { return s.es.Close() }

// bedrockEventText renders a ConverseStream event for the record: its type
// and its value (every member type holds it in its Value field) as JSON.
func bedrockEventText(ev types.ConverseStreamOutput) string {
	name := strings.TrimPrefix(fmt.Sprintf("%T", ev), "*types.ConverseStreamOutputMember")
	var v any = ev
	if rv := reflect.ValueOf(ev); rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct {
		if f := rv.Elem().FieldByName("Value"); f.IsValid() {
			v = f.Interface()
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return name
	}
	return name + " " + string(b)
}
