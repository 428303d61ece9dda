#include "wire.hpp"

namespace lumis::wire {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

Offset<ppx::Tensor> encode(FlatBufferBuilder& b, const Tensor& t) {
    auto data = b.CreateVector(t.data);
    auto shape = b.CreateVector(t.shape);
    return ppx::CreateTensor(b, data, shape);
}

namespace {

struct Encoder {
    FlatBufferBuilder& b;
    ppx::Distribution& type;

    Offset<void> operator()(const Normal& d) {
        type = ppx::Distribution_Normal;
        auto p0 = encode(b, d.mean), p1 = encode(b, d.stddev);
        return ppx::CreateNormal(b, p0, p1).Union();
    }
    Offset<void> operator()(const Uniform& d) {
        type = ppx::Distribution_Uniform;
        auto p0 = encode(b, d.low), p1 = encode(b, d.high);
        return ppx::CreateUniform(b, p0, p1).Union();
    }
    Offset<void> operator()(const Categorical& d) {
        type = ppx::Distribution_Categorical;
        return ppx::CreateCategorical(b, encode(b, d.probs)).Union();
    }
    Offset<void> operator()(const Poisson& d) {
        type = ppx::Distribution_Poisson;
        return ppx::CreatePoisson(b, encode(b, d.rate)).Union();
    }
    Offset<void> operator()(const Bernoulli& d) {
        type = ppx::Distribution_Bernoulli;
        return ppx::CreateBernoulli(b, encode(b, d.probs)).Union();
    }
    Offset<void> operator()(const Beta& d) {
        type = ppx::Distribution_Beta;
        auto p0 = encode(b, d.concentration1), p1 = encode(b, d.concentration0);
        return ppx::CreateBeta(b, p0, p1).Union();
    }
    Offset<void> operator()(const Exponential& d) {
        type = ppx::Distribution_Exponential;
        return ppx::CreateExponential(b, encode(b, d.rate)).Union();
    }
    Offset<void> operator()(const Gamma& d) {
        type = ppx::Distribution_Gamma;
        auto p0 = encode(b, d.concentration), p1 = encode(b, d.rate);
        return ppx::CreateGamma(b, p0, p1).Union();
    }
    Offset<void> operator()(const LogNormal& d) {
        type = ppx::Distribution_LogNormal;
        auto p0 = encode(b, d.loc), p1 = encode(b, d.scale);
        return ppx::CreateLogNormal(b, p0, p1).Union();
    }
    Offset<void> operator()(const Binomial& d) {
        type = ppx::Distribution_Binomial;
        auto p0 = encode(b, d.total_count), p1 = encode(b, d.probs);
        return ppx::CreateBinomial(b, p0, p1).Union();
    }
    Offset<void> operator()(const Weibull& d) {
        type = ppx::Distribution_Weibull;
        auto p0 = encode(b, d.scale), p1 = encode(b, d.concentration);
        return ppx::CreateWeibull(b, p0, p1).Union();
    }
};

bool parameter(const char* kind, const char* name, const ppx::Tensor* t, Tensor& out, std::string& error) {
    if (decode(t, out, error)) return true;
    error = std::string(kind) + "." + name + ": " + error;
    return false;
}

template <class D>
bool one(const char* kind, const char* n0, const ppx::Tensor* t0, Distribution& out, std::string& error) {
    Tensor a;
    if (!parameter(kind, n0, t0, a, error)) return false;
    out = D(std::move(a));
    return true;
}

template <class D>
bool two(const char* kind, const char* n0, const ppx::Tensor* t0, const char* n1, const ppx::Tensor* t1,
         Distribution& out, std::string& error) {
    Tensor a, c;
    if (!parameter(kind, n0, t0, a, error) || !parameter(kind, n1, t1, c, error)) return false;
    out = D(std::move(a), std::move(c));
    return true;
}

}  // namespace

Offset<void> encode(FlatBufferBuilder& b, const Distribution& d, ppx::Distribution& type) {
    return std::visit(Encoder{b, type}, d);
}

bool decode(const ppx::Tensor* t, Tensor& out, std::string& error) {
    if (t == nullptr) {
        error = "Tensor absent";
        return false;
    }
    const auto* data = t->data();
    if (data == nullptr || data->size() == 0) {
        error = "Tensor has no data";
        return false;
    }
    out.data.assign(data->begin(), data->end());
    out.shape.clear();
    if (const auto* shape = t->shape()) {
        out.shape.assign(shape->begin(), shape->end());
        std::size_t count = 1;
        for (int32_t d : out.shape) {
            if (d < 0) {
                error = "Tensor shape has a negative dimension";
                return false;
            }
            count *= static_cast<std::size_t>(d);
        }
        if (count != out.data.size()) {
            error = "Tensor shape holds " + std::to_string(count) + " elements but data has " +
                    std::to_string(out.data.size());
            return false;
        }
    } else if (out.data.size() != 1) {
        out.shape = {static_cast<int32_t>(out.data.size())};
    }
    return true;
}

bool decode(ppx::Distribution type, const void* table, Distribution& out, std::string& error) {
    if (table == nullptr) {
        error = "distribution absent";
        return false;
    }
    switch (type) {
    case ppx::Distribution_Normal: {
        auto x = static_cast<const ppx::Normal*>(table);
        return two<Normal>("Normal", "mean", x->mean(), "stddev", x->stddev(), out, error);
    }
    case ppx::Distribution_Uniform: {
        auto x = static_cast<const ppx::Uniform*>(table);
        return two<Uniform>("Uniform", "low", x->low(), "high", x->high(), out, error);
    }
    case ppx::Distribution_Categorical:
        return one<Categorical>("Categorical", "probs", static_cast<const ppx::Categorical*>(table)->probs(), out,
                                error);
    case ppx::Distribution_Poisson:
        return one<Poisson>("Poisson", "rate", static_cast<const ppx::Poisson*>(table)->rate(), out, error);
    case ppx::Distribution_Bernoulli:
        return one<Bernoulli>("Bernoulli", "probs", static_cast<const ppx::Bernoulli*>(table)->probs(), out, error);
    case ppx::Distribution_Beta: {
        auto x = static_cast<const ppx::Beta*>(table);
        return two<Beta>("Beta", "concentration1", x->concentration1(), "concentration0", x->concentration0(), out,
                         error);
    }
    case ppx::Distribution_Exponential:
        return one<Exponential>("Exponential", "rate", static_cast<const ppx::Exponential*>(table)->rate(), out,
                                error);
    case ppx::Distribution_Gamma: {
        auto x = static_cast<const ppx::Gamma*>(table);
        return two<Gamma>("Gamma", "concentration", x->concentration(), "rate", x->rate(), out, error);
    }
    case ppx::Distribution_LogNormal: {
        auto x = static_cast<const ppx::LogNormal*>(table);
        return two<LogNormal>("LogNormal", "loc", x->loc(), "scale", x->scale(), out, error);
    }
    case ppx::Distribution_Binomial: {
        auto x = static_cast<const ppx::Binomial*>(table);
        return two<Binomial>("Binomial", "total_count", x->total_count(), "probs", x->probs(), out, error);
    }
    case ppx::Distribution_Weibull: {
        auto x = static_cast<const ppx::Weibull*>(table);
        return two<Weibull>("Weibull", "scale", x->scale(), "concentration", x->concentration(), out, error);
    }
    case ppx::Distribution_NONE:
        break;
    }
    error = "unknown distribution type " + std::to_string(static_cast<int>(type));
    return false;
}

const ppx::Message* verified(const uint8_t* bytes, std::size_t size) {
    if (size < sizeof(flatbuffers::uoffset_t)) return nullptr;
    flatbuffers::Verifier verifier(bytes, size);
    if (!verifier.VerifyBuffer<ppx::Message>(nullptr)) return nullptr;
    return ppx::GetMessage(bytes);
}

}  // namespace lumis::wire
